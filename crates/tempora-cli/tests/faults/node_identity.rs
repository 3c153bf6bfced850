//! See the catalogue in `main.rs`.
