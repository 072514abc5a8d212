//! `www/replybubble.d.ts` type-checks real usage and rejects wrong usage (`tsc --strict`).

use std::path::PathBuf;
use std::process::Command;

#[test]
fn the_typescript_declarations_accept_the_api_and_reject_misuse() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let tsc = root.join("target/tools/node_modules/.bin/tsc");
    assert!(
        tsc.exists(),
        "tsc is installed by `cargo xtask setup` (npm typescript)"
    );
    let out = Command::new(&tsc)
        .args([
            "--strict",
            "--noEmit",
            "--noUnusedLocals",
            "false",
            "--target",
            "es2020",
            "--lib",
            "es2020,dom",
        ])
        .arg(root.join("tests/typescript/usage.ts"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "tsc failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
