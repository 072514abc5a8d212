//! The README's signing snippets for Node and Python (real, independent HMAC implementations)
//! give the same signatures as `replybubble sign` and verify with the core verifier.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_replybubble");

/// The code block that follows `<!-- snippet:NAME -->` in README.md.
fn snippet(name: &str) -> String {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let marker = format!("<!-- snippet:{name} -->");
    let after = &readme[readme
        .find(&marker)
        .unwrap_or_else(|| panic!("README has no {marker}"))
        + marker.len()..];
    let start = after.find("```").unwrap();
    let body = &after[start..];
    let body = &body[body.find('\n').unwrap() + 1..];
    body[..body.find("```").unwrap()].to_owned()
}

fn run(program: &str, script: &str, secret: &str, id: &str) -> String {
    let out = Command::new(program)
        .arg(script)
        .arg(id)
        .env("REPLYBUBBLE_SECRET", secret)
        .output()
        .unwrap_or_else(|e| panic!("{program} must be installed (cargo xtask setup): {e}"));
    assert!(
        out.status.success(),
        "{program}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn node_and_python_snippets_agree_with_replybubble_sign_and_the_core_verifier() {
    let dir = tempfile::tempdir().unwrap();
    let node = dir.path().join("sign.js");
    std::fs::write(
        &node,
        snippet("node") + "\nconsole.log(replybubbleSignature(process.argv[2]));\n",
    )
    .unwrap();
    let python = dir.path().join("sign.py");
    std::fs::write(
        &python,
        snippet("python") + "\nimport sys\nprint(replybubble_signature(sys.argv[1]))\n",
    )
    .unwrap();
    let ids = [
        "user_42",
        "42",
        "Ünïcødé-用户-🙂",
        " padded ",
        "quote\"back\\slash",
    ];
    let secret = "rbsec_5f2c0a9e4b7d1c3a8e6f0b2d4c6a8e0f1b3d5c7a9e1f3b5d7c9a1e3f5b7d9c1a";
    for id in ids {
        let from_node = run("node", node.to_str().unwrap(), secret, id);
        let from_python = run("python3", python.to_str().unwrap(), secret, id);
        let out = Command::new(BIN)
            .args(["sign", "--secret-env", "REPLYBUBBLE_SECRET", id])
            .env("REPLYBUBBLE_SECRET", secret)
            .output()
            .unwrap();
        let from_cli = String::from_utf8(out.stdout).unwrap().trim().to_owned();
        assert_eq!(from_node, from_cli, "node vs cli for {id:?}");
        assert_eq!(from_python, from_cli, "python vs cli for {id:?}");
        assert_eq!(
            replybubble_core::signature::verify(secret, id, &from_node),
            Ok(())
        );
    }
}
