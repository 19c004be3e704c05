#![deny(clippy::all)]
//! The napi layer: argument conversion and one error map over the `ghostkit` core.

mod crypto;
mod error;
