#![deny(clippy::all)]
// napi-derive registers exports only outside `cfg(test)`, so a test build of this crate
// sees every export as unused.
#![cfg_attr(test, allow(dead_code))]
//! The napi layer: argument conversion and one error map over the `ghostkit` core.

mod crypto;
mod db;
mod error;
mod llm;
mod quic;
