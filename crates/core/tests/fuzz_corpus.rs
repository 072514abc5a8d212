//! Replays the committed `cargo fuzz` corpus (`fuzz/corpus/<target>/*`) through the targets'
//! own code (`fuzz/common.rs`), so every input the fuzzer ever kept stays checked by
//! `cargo xtask test`, with no fuzzer installed.

#[path = "../../../fuzz/common.rs"]
mod common;

fn replay(target: &str, run: fn(&[u8])) -> usize {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| run(&data));
        assert!(outcome.is_ok(), "{} panics", path.display());
        n += 1;
    }
    n
}

#[test]
fn the_identify_corpus_replays_without_a_panic() {
    assert!(replay("identify", common::identify) >= 5);
}

#[test]
fn the_signature_corpus_replays_without_a_panic() {
    assert!(replay("signature", common::signature) >= 3);
}
