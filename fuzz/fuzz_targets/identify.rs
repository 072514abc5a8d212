#![no_main]
//! Identify bodies: JSON parsing (objects capped at 256 keys) and field validation.

#[path = "../common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::identify(data));
