//! The documents beside the code stay true to it: every `docs/` section the
//! code cites exists, and README's layout matches the tree.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::{product_files, src};

/// Every `docs/<name>.md §N` a source file cites (the product, the emulator
/// and the tests) names a document in `docs/` with a section `N`, or, for
/// an item of a numbered list (`§7.3`), the section `7`.
#[test]
fn every_cited_document_section_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    for dir in ["src", "emulator/src", "tests"] {
        walk(&root.join(dir), &mut files);
    }
    let sections = |doc: &str| -> Option<BTreeSet<String>> {
        let text = std::fs::read_to_string(root.join("docs").join(doc)).ok()?;
        Some(
            text.lines()
                .filter(|l| l.starts_with('#'))
                .filter_map(|l| l.trim_start_matches('#').split_whitespace().next())
                .map(|n| n.trim_end_matches('.').to_owned())
                .filter(|n| n.chars().next().is_some_and(|c| c.is_ascii_digit()))
                .collect(),
        )
    };
    let mut cited = 0;
    let mut wrong = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read a source file");
        let mut rest = text.as_str();
        while let Some(at) = rest.find("docs/") {
            rest = &rest[at + "docs/".len()..];
            let Some(end) = rest.find(".md") else { break };
            let doc = &rest[..end];
            if doc.is_empty() || !doc.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                continue;
            }
            let name = format!("{doc}.md");
            let Some(known) = sections(&name) else {
                wrong.push(format!("{}: docs/{name} does not exist", file.display()));
                continue;
            };
            cited += 1;
            let after = rest[end + 3..].trim_start();
            let Some(number) = after.strip_prefix('§') else {
                continue;
            };
            let number: String = number
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            let number = number.trim_end_matches('.');
            let parent = number.split('.').next().unwrap_or_default();
            if !known.contains(number) && !known.contains(parent) {
                wrong.push(format!("{}: docs/{name} has no §{number}", file.display()));
            }
        }
    }
    assert!(cited > 50, "the scanner finds the citations ({cited})");
    assert!(
        wrong.is_empty(),
        "citations of missing documents or sections:\n{}",
        wrong.join("\n")
    );
}

/// The README's layout (the first code block under "## Development") is
/// how a newcomer finds their way in, so it must match the tree: every
/// `src/…` path it names exists, and every product file is named there,
/// by its path or by its name on its directory's line.
#[test]
fn the_readme_layout_matches_the_tree() {
    let readme = std::fs::read_to_string(src().join("../README.md")).expect("read README.md");
    let section = &readme[readme
        .find("## Development")
        .expect("a Development section")..];
    let block = section.split("```").nth(1).expect("a layout block");
    let mut wrong = Vec::new();
    // Every path it names exists.
    for word in block.split(|c: char| c.is_whitespace() || matches!(c, ',' | '(' | ')' | ';')) {
        let word = word.trim_end_matches([':', '.']);
        if let Some(rel) = word.strip_prefix("src/")
            && !src().join(rel).exists()
        {
            wrong.push(format!("README names {word}, which does not exist"));
        }
    }
    // Every product file is named: `src/x.rs`, or under the line of its
    // directory (`src/engine/` … `hand_on.rs`) by its file name or stem.
    let lines: Vec<&str> = block.lines().collect();
    for (_, path) in product_files() {
        let rel = path.strip_prefix(src()).expect("under src/");
        let rel_text = rel.to_string_lossy().replace('\\', "/");
        if block.contains(&format!("src/{rel_text}")) {
            continue;
        }
        let name = rel
            .file_name()
            .expect("a file")
            .to_string_lossy()
            .into_owned();
        let stem = name.trim_end_matches(".rs").to_owned();
        // The lines of the deepest directory entry that holds this file.
        let mut dir = rel.parent();
        let mut found = false;
        while let Some(d) = dir.filter(|d| !d.as_os_str().is_empty()) {
            let key = format!("src/{}/", d.to_string_lossy().replace('\\', "/"));
            if let Some(start) = lines.iter().position(|l| l.contains(&key)) {
                // The entry: its line and the indented lines that follow.
                let entry = lines[start..]
                    .iter()
                    .enumerate()
                    .take_while(|(i, l)| *i == 0 || l.starts_with(' '))
                    .map(|(_, l)| *l)
                    .collect::<Vec<_>>()
                    .join(" ");
                let named = |word: &str| {
                    entry
                        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                        .any(|w| w == word || w.trim_end_matches('.') == word)
                };
                found = named(&name) || named(&stem) || (name == "mod.rs" && entry.contains(&key));
                break;
            }
            dir = d.parent();
        }
        if !found {
            wrong.push(format!("src/{rel_text} is not in README's layout"));
        }
    }
    assert!(
        wrong.is_empty(),
        "README.md's layout (## Development) and src/ disagree:\n{}",
        wrong.join("\n")
    );
}
