//! Every file in `tests/diagnostics/` must fail to check; its rendered diagnostics (as
//! `galvani check` prints them, without colour) are snapshotted. The directory says the
//! expected outcome; adding a failing case is adding a file.

use galvani_tests::check_file;
use std::collections::BTreeMap;

#[test]
fn every_diagnostics_case_fails_with_its_snapshot() {
    insta::glob!("../diagnostics", "*.gal", |path| {
        match check_file(path) {
            Ok(_) => panic!("{} must fail to check, but it passed", path.display()),
            Err(rendered) => {
                assert!(
                    rendered.contains("error[E") || rendered.contains("bug"),
                    "{}: no coded error in:\n{rendered}",
                    path.display()
                );
                assert!(
                    !rendered.contains("bug"),
                    "{}: a user error was reported as an internal error:\n{rendered}",
                    path.display()
                );
                insta::assert_snapshot!("diagnostic", rendered);
            }
        }
    });
}

/// "Each has its own message": no two failing cases produce the same first message.
#[test]
fn every_diagnostics_case_has_its_own_message() {
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let entries = galvani_tests::gal_files("tests/diagnostics");
    assert!(
        entries.len() >= 25,
        "at least 25 failing cases, found {}",
        entries.len()
    );
    for path in entries {
        let rendered = check_file(&path).err().unwrap_or_default();
        let first = rendered.lines().next().unwrap_or("").to_string();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if let Some(previous) = seen.insert(first.clone(), name.clone()) {
            panic!("{name} and {previous} report the same message: {first}");
        }
    }
}
