//! The registry: the stores, executors and listeners an engine holds,
//! looked up by name, and adding or removing them while it runs.

use std::sync::Arc;

use super::Engine;
use crate::calendar::{Calendar, Exclusions};
use crate::error::{Error, Result};
use crate::event::{Event, EventKind};
use crate::executor::Executor;
use crate::store::JobStore;
use crate::sync::{read, write};

impl Engine {
    pub(super) fn emit(&self, event: Event) {
        self.listeners.emit(event);
    }

    pub(super) fn stores(&self) -> Vec<(String, Arc<dyn JobStore>)> {
        read(&self.stores).clone()
    }

    pub(super) fn store(&self, name: &str) -> Result<Arc<dyn JobStore>> {
        read(&self.stores)
            .iter()
            .find(|(alias, _)| alias == name)
            .map(|(_, store)| Arc::clone(store))
            .ok_or_else(|| Error::not_found("store", name))
    }

    pub(super) fn executor(&self, name: &str) -> Option<Arc<Executor>> {
        read(&self.executors).get(name).cloned()
    }

    /// The calendars jobs may exclude by name.
    pub(super) fn calendars(&self) -> Exclusions {
        read(&self.calendars).clone()
    }

    /// Adds or replaces the calendar `name`; jobs added before keep the
    /// definition they were added with.
    pub(crate) fn add_calendar(&self, name: &str, calendar: Calendar) -> Result<()> {
        if name.is_empty() {
            return Err(Error::invalid(
                "calendar",
                "the name is empty; give a non-empty name",
            ));
        }
        write(&self.calendars).insert(name.to_owned(), calendar);
        Ok(())
    }

    pub(super) fn store_names(&self) -> String {
        let stores = read(&self.stores);
        let names: Vec<String> = stores.iter().map(|(name, _)| format!("{name:?}")).collect();
        names.join(", ")
    }

    pub(crate) fn add_store(&self, name: &str, store: Arc<dyn JobStore>) -> Result<()> {
        {
            let mut stores = write(&self.stores);
            if stores.iter().any(|(alias, _)| alias == name) {
                return Err(Error::invalid(
                    "store",
                    format!("{name:?} is already configured"),
                ));
            }
            stores.push((name.to_owned(), store));
        }
        self.recorder.forget_store(name);
        let mut event = Event::new(EventKind::StoreAdded);
        event.store = Some(name.to_owned());
        self.emit(event);
        self.wakeup.wake();
        Ok(())
    }

    pub(crate) fn remove_store(&self, name: &str) -> Result<()> {
        {
            let mut stores = write(&self.stores);
            let before = stores.len();
            stores.retain(|(alias, _)| alias != name);
            if stores.len() == before {
                return Err(Error::not_found("store", name));
            }
        }
        let mut event = Event::new(EventKind::StoreRemoved);
        event.store = Some(name.to_owned());
        self.emit(event);
        Ok(())
    }

    pub(crate) fn add_executor(&self, name: &str, executor: Executor) -> Result<()> {
        {
            let mut executors = write(&self.executors);
            if executors.contains_key(name) {
                return Err(Error::invalid(
                    "executor",
                    format!("{name:?} is already configured"),
                ));
            }
            executors.insert(name.to_owned(), Arc::new(executor));
        }
        let mut event = Event::new(EventKind::ExecutorAdded);
        event.executor = Some(name.to_owned());
        self.emit(event);
        Ok(())
    }

    pub(crate) fn remove_executor(&self, name: &str) -> Result<()> {
        let removed = write(&self.executors)
            .remove(name)
            .ok_or_else(|| Error::not_found("executor", name))?;
        removed.shutdown(false);
        let mut event = Event::new(EventKind::ExecutorRemoved);
        event.executor = Some(name.to_owned());
        self.emit(event);
        Ok(())
    }
}
