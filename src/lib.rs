//! fieldreport: a field-report collector for election observation missions.
//!
//! Observers file structured reports from their phones; the core team reviews them and
//! the mission leads turn them into findings. One binary, one SQLite file, server-rendered
//! HTML. README.md says what it does and how it is laid out.

pub mod cli;
pub mod credentials;
pub mod demo;
pub mod domain;
pub mod i18n;
pub mod server;
pub mod store;
pub mod web;

pub use web::{AppState, Config, app};
