//! The docs the code cites exist: every "ARCHITECTURE.md §N" in the sources and
//! the Markdown names a numbered section of `docs/ARCHITECTURE.md`, and nothing
//! cites the team's design sketch (`DESIGN.md`), which is not in the repository.

use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Every `.rs` and `.md` file of the workspace, outside build output.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') {
                files(&path, out);
            }
        } else if name.ends_with(".rs") || name.ends_with(".md") {
            out.push(path);
        }
    }
}

/// The section numbers of `docs/ARCHITECTURE.md`: "5", "5.3", … from its headings.
fn sections() -> Vec<String> {
    let text = fs::read_to_string(root().join("docs/ARCHITECTURE.md")).unwrap();
    text.lines()
        .filter_map(|l| l.strip_prefix('#'))
        .map(|l| l.trim_start_matches('#').trim())
        .filter_map(|l| l.split_whitespace().next())
        .map(|n| n.trim_end_matches('.').to_string())
        .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit() || c == '.'))
        .collect()
}

#[test]
fn every_architecture_citation_names_a_section_and_none_cites_design_md() {
    let sections = sections();
    assert!(sections.iter().any(|s| s == "5.3"), "{sections:?}");
    let mut all = Vec::new();
    files(&root(), &mut all);
    let mut checked = 0;
    for path in all {
        if path.ends_with("xtask/tests/citations.rs") {
            continue; // this file names both in its docs
        }
        let text = fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains("DESIGN.md"),
            "{} cites DESIGN.md, which is not in the repository",
            path.display()
        );
        for (at, _) in text.match_indices("ARCHITECTURE.md") {
            let rest = &text[at + "ARCHITECTURE.md".len()..];
            let rest = rest.trim_start_matches([')', ' ', ']', '(']);
            let Some(number) = rest.strip_prefix('§') else {
                continue;
            };
            let number: String = number
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            let number = number.trim_end_matches('.');
            assert!(
                sections.iter().any(|s| s == number),
                "{} cites ARCHITECTURE.md §{number}, which has no such section",
                path.display()
            );
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} citations found");
}
