//! Procedures: write a procedure once, run it step by step with a timestamp on every
//! tick, look back at the history, see where the time goes, keep every edit as a version.
//!
//! The data lives in a folder of plain CSV files (see `store`). Layers:
//! `model` (plain types) → `store` (files ⇄ `Dataset`) → `ops` (every mutation) →
//! `analysis` (metrics) → `transfer` (documents in and out) → `session` (the open
//! folder) → `ui` (views) → `app` (the window); `cli` (the commands) and `generate`
//! (generated folders) use them. DESIGN.md has the whole picture.

pub mod analysis;
pub mod app;
pub mod bytes;
pub mod cli;
pub mod generate;
pub mod logging;
pub mod memory;
pub mod model;
pub mod ops;
pub mod session;
pub mod store;
pub mod transfer;
pub mod ui;

/// Every binary of the crate (the app, the commands, the benches) allocates through it.
#[global_allocator]
static ALLOCATOR: memory::Huge = memory::Huge;
