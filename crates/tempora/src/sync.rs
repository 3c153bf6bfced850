//! Taking locks, and the primitives the model tests swap in.
//!
//! [`lock`], [`read`] and [`write`] are how the library takes a `std` lock.
//! The few types whose ordering decides correctness (the run counts, the
//! loop's wake-up) take their mutex and atomics from [`model`] instead:
//! `std`'s in the library, shuttle's in the crate's unit tests, so that the
//! model tests explore their interleavings.

use std::sync::{
    Condvar, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard,
};

/// Takes `mutex`, also when a panic elsewhere poisoned it: every critical
/// section in the library only assigns plain values or updates collections
/// with calls that do not panic, so the data is never left half-updated.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Waits on `condvar`, releasing `guard` meanwhile, and takes the lock
/// again also when poisoned (see [`lock`]).
pub(crate) fn wait<'a, T>(condvar: &Condvar, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
    condvar.wait(guard).unwrap_or_else(PoisonError::into_inner)
}

/// Waits on `condvar` as [`wait`] does, for `patience` at most.
pub(crate) fn wait_for<'a, T>(
    condvar: &Condvar,
    guard: MutexGuard<'a, T>,
    patience: std::time::Duration,
) -> MutexGuard<'a, T> {
    match condvar.wait_timeout(guard, patience) {
        Ok((guard, _)) => guard,
        Err(poisoned) => poisoned.into_inner().0,
    }
}

/// Reads `lock`, also when poisoned (see [`lock`]).
pub(crate) fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

/// Writes `lock`, also when poisoned (see [`lock`]).
pub(crate) fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

/// The mutex and atomics of the types the model tests check: `std`'s, or
/// shuttle's when the crate's unit tests are built. Such a type is only
/// used inside a shuttle test in the unit tests; the integration tests and
/// users get `std`'s.
pub(crate) mod model {
    use std::sync::PoisonError;

    #[cfg(test)]
    pub(crate) use shuttle::sync::atomic::AtomicUsize;
    #[cfg(test)]
    pub(crate) use shuttle::sync::{Mutex, MutexGuard};
    #[cfg(not(test))]
    pub(crate) use std::sync::atomic::AtomicUsize;
    #[cfg(not(test))]
    pub(crate) use std::sync::{Mutex, MutexGuard};

    /// Takes `mutex`, also when poisoned (see [`super::lock`]).
    pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
        mutex.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
