#![no_main]
//! Signature verification and the diagnosis of a failed one.

#[path = "../common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::signature(data));
