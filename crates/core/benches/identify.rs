//! The CPU cost of one identify on the server, without IO: the JSON body parsed into the loose
//! `Value`, validated into an `IdentifyUser`, and decided (HMAC-SHA256 checked in constant time).
//! Run by `cargo xtask bench`, or alone with `cargo bench -p replybubble-core`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use replybubble_core::identify::{decide, CurrentSecret};
use replybubble_core::{signature, IdentifyUser, Mode, Plan, Value};

const SECRET: &str = "rb_secret_0123456789abcdef0123456789abcdef0123456789abcdef01234567";

fn body() -> String {
    let sig = signature::sign(SECRET, "user_8f3a2c");
    format!(
        r#"{{"id":"user_8f3a2c","signature":"{sig}","name":"Ada Lovelace","email":"ada@example.com","company":"Analytical Engines","traits":{{"plan":"pro","seats":12,"beta":true}}}}"#
    )
}

fn identify(c: &mut Criterion) {
    let body = body();
    let secret = CurrentSecret {
        value: SECRET,
        version: 1,
    };
    c.bench_function("identify/validate", |b| {
        b.iter(|| {
            let raw: Value = serde_json::from_str(black_box(&body)).unwrap();
            IdentifyUser::parse(&raw).unwrap()
        })
    });
    c.bench_function("identify/validate+verify", |b| {
        b.iter(|| {
            let raw: Value = serde_json::from_str(black_box(&body)).unwrap();
            let parsed = IdentifyUser::parse(&raw).unwrap();
            decide(Plan::Pro, Mode::Optional, Some(secret), &parsed.user)
        })
    });
}

criterion_group!(benches, identify);
criterion_main!(benches);
