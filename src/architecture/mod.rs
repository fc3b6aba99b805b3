//! Checks that the code keeps the shape `lib.rs` describes: the imports
//! between top-level modules follow the layers, with no cycle; within
//! every module its files (`crate::`, `super::`, `self::` and child paths
//! alike) import each other without a cycle; no command imports another;
//! and no product function is longer
//! than [`MAX_FN_LINES`]. They read the source
//! files themselves, so a new import or a grown function fails here, not in
//! review. The emulator (`src/emulator`) is not the product and is skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, top first. A module may import from its own layer and any
/// layer below it, never from one above; within a layer, no cycle.
const LAYERS: &[&[&str]] = &[
    // Dispatch, one module per command, and the wizard (setup's face).
    &["commands"],
    // What the commands want done, decided and done: the look, the app,
    // the secret's life through the custodian, connect, verify, narrate.
    &["engine"],
    // The questions the commands and the wizard ask.
    &["prompt"],
    // One module per step of the guide.
    &["steps"],
    // Who holds each new secret, on the app and here (the steps and the
    // commands record through it).
    &["custody"],
    // What was typed, and the validated plan made of it.
    &["settings", "cli"],
    // The service clients.
    &["auth", "graph", "platform"],
    &["http"],
    // Leaf utilities: they import nothing from the layers above.
    &[
        "output",
        "report",
        "error",
        "cloud",
        "stop",
        "guide",
        "env",
        "validate",
        "record",
        "secret_file",
        "tls",
    ],
];

/// The longest a product function may be, in lines from `fn` to its `}`.
const MAX_FN_LINES: usize = 100;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every product source file (not the emulator, not the crate roots), with
/// the top-level module it belongs to.
fn product_files() -> Vec<(String, PathBuf)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read src/") {
            let path = entry.expect("read src/").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let root = src();
    let mut paths = Vec::new();
    walk(&root, &mut paths);
    let mut files = Vec::new();
    for path in paths {
        let rel = path.strip_prefix(&root).expect("under src/");
        let first = rel
            .components()
            .next()
            .expect("a path")
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if matches!(first.as_str(), "emulator" | "lib" | "main") {
            continue;
        }
        files.push((first, path));
    }
    files.sort();
    files
}

/// The source with comments, strings and character literals blanked out
/// (newlines kept, so line numbers stay true).
fn code_only(src: &str) -> String {
    let s: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let blank = |out: &mut String, chars: &[char]| {
        for &c in chars {
            out.push(if c == '\n' { '\n' } else { ' ' });
        }
    };
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        let next = s.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            let end = s[i..]
                .iter()
                .position(|&c| c == '\n')
                .map_or(s.len(), |p| i + p);
            blank(&mut out, &s[i..end]);
            i = end;
        } else if c == '/' && next == Some('*') {
            let mut end = i + 2;
            while end + 1 < s.len() && !(s[end] == '*' && s[end + 1] == '/') {
                end += 1;
            }
            let end = (end + 2).min(s.len());
            blank(&mut out, &s[i..end]);
            i = end;
        } else if c == 'r'
            && matches!(next, Some('#') | Some('"'))
            && (i == 0 || !(s[i - 1].is_alphanumeric() || s[i - 1] == '_'))
        {
            // A raw string: r"…", r#"…"#.
            let mut j = i + 1;
            while s.get(j) == Some(&'#') {
                j += 1;
            }
            if s.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            let hashes = j - i - 1;
            let mut end = j + 1;
            while end < s.len()
                && !(s[end] == '"'
                    && s[end + 1..]
                        .iter()
                        .take(hashes)
                        .filter(|&&h| h == '#')
                        .count()
                        == hashes)
            {
                end += 1;
            }
            let end = (end + 1 + hashes).min(s.len());
            blank(&mut out, &s[i..end]);
            i = end;
        } else if c == '"' {
            let mut end = i + 1;
            while end < s.len() && s[end] != '"' {
                end += if s[end] == '\\' { 2 } else { 1 };
            }
            let end = (end + 1).min(s.len());
            blank(&mut out, &s[i..end]);
            i = end;
        } else if c == '\'' && next == Some('\\') {
            let end = s[i + 2..]
                .iter()
                .position(|&c| c == '\'')
                .map_or(s.len(), |p| i + 2 + p + 1);
            blank(&mut out, &s[i..end]);
            i = end;
        } else if c == '\'' && s.get(i + 2) == Some(&'\'') {
            blank(&mut out, &s[i..i + 3]);
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The top-level modules a file names through `crate::`, in `use` lines
/// (grouped ones too: `use crate::{a, b::c}`) and in paths.
fn imports(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // `$crate::`, `my_crate::`
        }
        if let Some(group) = rest.strip_prefix('{') {
            // The names at depth 0 of the group.
            let (mut depth, mut word, mut at_start) = (0usize, String::new(), true);
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => at_start = true,
                    c if c.is_alphanumeric() || c == '_' => {
                        if at_start && depth == 0 {
                            word.push(c);
                        }
                    }
                    _ => {
                        if !word.is_empty() {
                            found.insert(std::mem::take(&mut word));
                            at_start = false;
                        }
                    }
                }
            }
            if !word.is_empty() {
                found.insert(word);
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.insert(name);
            }
        }
    }
    found
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// module → the other top-level modules it imports, and where.
fn import_graph() -> BTreeMap<String, BTreeMap<String, String>> {
    let mut graph: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (module, path) in product_files() {
        if module == "architecture" {
            continue; // this test
        }
        let code = code_only(&std::fs::read_to_string(&path).expect("read a source file"));
        let entry = graph.entry(module.clone()).or_default();
        for target in imports(&code) {
            if target != module && target != "self" && target != "super" {
                entry
                    .entry(target)
                    .or_insert_with(|| path.display().to_string());
            }
        }
    }
    graph
}

#[test]
fn imports_go_down_the_layers_only() {
    let mut wrong = Vec::new();
    for (module, targets) in import_graph() {
        let Some(from) = layer_of(&module) else {
            wrong.push(format!("{module} is in no layer: add it to LAYERS"));
            continue;
        };
        for (target, file) in targets {
            match layer_of(&target) {
                None if target == "emulator" && module == "commands" => {
                    // `demo` and `emulator` run the emulator, which is not
                    // part of the product's layers (its own crate).
                }
                None => wrong.push(format!("{file}: {target} is in no layer")),
                Some(to) if to < from => {
                    wrong.push(format!("{file}: {module} imports {target}, a higher layer"))
                }
                Some(_) => {}
            }
        }
    }
    assert!(wrong.is_empty(), "layering broken:\n{}", wrong.join("\n"));
}

/// Every cycle of `graph` (depth-first; a back edge is a cycle), each as
/// `a → b → a`.
fn cycles_in(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        cycles: &mut Vec<String>,
    ) {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_owned());
            cycles.push(cycle.join(" → "));
            return;
        }
        if !done.insert(node.to_owned()) {
            return;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            visit(next, graph, path, done, cycles);
        }
        path.pop();
    }
    let mut cycles = Vec::new();
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        visit(node, graph, &mut Vec::new(), &mut done, &mut cycles);
    }
    cycles
}

#[test]
fn no_module_is_part_of_an_import_cycle() {
    let graph: BTreeMap<String, BTreeSet<String>> = import_graph()
        .into_iter()
        .map(|(from, to)| (from, to.into_keys().collect()))
        .collect();
    let cycles = cycles_in(&graph);
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

/// (lines, file, function, first line) of every function with a body.
fn functions(path: &Path) -> Vec<(usize, String, String, usize)> {
    let code = code_only(&std::fs::read_to_string(path).expect("read a source file"));
    let bytes = code.as_bytes();
    let line_of = |at: usize| code[..at].matches('\n').count() + 1;
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(pos) = code[from..].find("fn ") {
        let at = from + pos;
        from = at + 3;
        if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_') {
            continue;
        }
        let name: String = code[at + 3..]
            .trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            continue; // a `fn(…)` type
        }
        let Some(open) = code[at..].find(['{', ';']).map(|p| at + p) else {
            continue;
        };
        if bytes[open] == b';' {
            continue; // a declaration without a body
        }
        let mut depth = 0usize;
        let mut close = open;
        for (i, b) in bytes.iter().enumerate().skip(open) {
            match b {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        close = i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let first = line_of(at);
        found.push((
            line_of(close) - first + 1,
            path.display().to_string(),
            name,
            first,
        ));
    }
    found
}

#[test]
fn no_product_function_is_longer_than_the_limit() {
    let mut all: Vec<_> = product_files()
        .iter()
        .flat_map(|(_, path)| functions(path))
        .collect();
    assert!(
        all.iter()
            .any(|(_, _, name, _)| name == "no_product_function_is_longer_than_the_limit"),
        "the scanner finds functions"
    );
    all.sort_by_key(|f| std::cmp::Reverse(f.0));
    let long: Vec<String> = all
        .iter()
        .filter(|(lines, ..)| *lines > MAX_FN_LINES)
        .map(|(lines, file, name, line)| format!("{file}:{line} {name}: {lines} lines"))
        .collect();
    assert!(
        long.is_empty(),
        "functions over {MAX_FN_LINES} lines:\n{}",
        long.join("\n")
    );
}

/// The files allowed to read the process environment: the variable
/// registry, which reads it once for the entry point. Settings and the
/// commands are handed the captured `Environment`.
const READS_THE_ENVIRONMENT: &[&str] = &["env.rs"];

#[test]
fn only_the_variable_registry_reads_the_environment() {
    const READS: &[&str] = &[
        "env::var",
        "var_os",
        "env::vars",
        "vars_os",
        "set_var",
        "remove_var",
    ];
    let root = src();
    let mut files: Vec<PathBuf> = product_files().into_iter().map(|(_, p)| p).collect();
    files.push(root.join("main.rs"));
    files.push(root.join("lib.rs"));
    let readers: Vec<String> = files
        .iter()
        .filter(|path| {
            let code = code_only(&std::fs::read_to_string(path).expect("read a source file"));
            READS.iter().any(|r| code.contains(r))
        })
        .map(|path| {
            path.strip_prefix(&root)
                .expect("under src/")
                .display()
                .to_string()
        })
        .filter(|rel| !READS_THE_ENVIRONMENT.contains(&rel.as_str()))
        .collect();
    assert!(
        readers.is_empty(),
        "the environment is read outside {READS_THE_ENVIRONMENT:?}: {readers:?}"
    );
    // The check sees a read when there is one.
    assert!(
        READS.iter().any(|r| code_only(
            &std::fs::read_to_string(root.join("env.rs")).expect("read env.rs")
        )
        .contains(r)),
        "env.rs reads the environment"
    );
}

#[test]
fn only_the_prompt_module_uses_dialoguer() {
    let users: Vec<String> = product_files()
        .iter()
        .filter(|(module, _)| module != "prompt" && module != "architecture")
        .filter(|(_, path)| {
            code_only(&std::fs::read_to_string(path).expect("read a source file"))
                .contains("dialoguer")
        })
        .map(|(_, path)| path.display().to_string())
        .collect();
    assert!(
        users.is_empty(),
        "dialoguer used outside prompt.rs: {users:?}"
    );
}

#[test]
fn the_scanner_reads_grouped_imports_and_skips_comments_and_strings() {
    let code = code_only(
        "use crate::{auth::{self, X}, http::Http};\n// use crate::graph;\nlet s = \"crate::platform\";\nfn f() { crate::steps::g() }\n",
    );
    let found: Vec<String> = imports(&code).into_iter().collect();
    assert_eq!(found, ["auth", "http", "steps"]);
}

// Files, not only top-level modules: every `crate::`, `super::`, `self::`
// and child-module path, `use` trees included, resolved to the file it
// names.

/// The module path of a product file: `src/steps/connect_platform.rs` is
/// `steps::connect_platform`, `src/commands/setup/mod.rs` is
/// `commands::setup`.
fn module_path(path: &Path) -> Vec<String> {
    let rel = path.strip_prefix(src()).expect("under src/");
    let mut segments: Vec<String> = rel
        .components()
        .map(|c| {
            c.as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_owned()
        })
        .collect();
    if segments.last().is_some_and(|s| s == "mod") {
        segments.pop();
    }
    segments
}

/// Every path the code names that starts with `crate`, `super`, `self` or
/// one of `children`, with `use` groups expanded: `use super::{a, b::C}`
/// gives `super::a` and `super::b::C`.
fn named_paths(code: &str, children: &BTreeSet<String>) -> Vec<Vec<String>> {
    fn ident(s: &[char], mut i: usize) -> (String, usize) {
        let mut word = String::new();
        while i < s.len() && (s[i].is_alphanumeric() || s[i] == '_') {
            word.push(s[i]);
            i += 1;
        }
        (word, i)
    }
    fn skip_ws(s: &[char], mut i: usize) -> usize {
        while i < s.len() && s[i].is_whitespace() {
            i += 1;
        }
        i
    }
    /// The paths of the tree at `i`, each prefixed with `prefix`; returns
    /// where the tree ends.
    fn tree(s: &[char], i: usize, prefix: &[String], out: &mut Vec<Vec<String>>) -> usize {
        let mut i = skip_ws(s, i);
        let mut path = prefix.to_vec();
        loop {
            if s.get(i) == Some(&'{') {
                i += 1;
                loop {
                    i = skip_ws(s, i);
                    if s.get(i) == Some(&'}') || i >= s.len() {
                        return i + 1;
                    }
                    i = tree(s, i, &path, out);
                    i = skip_ws(s, i);
                    if s.get(i) == Some(&',') {
                        i += 1;
                    }
                }
            }
            let (word, next) = ident(s, i);
            if word.is_empty() {
                out.push(path);
                return i;
            }
            path.push(word);
            i = skip_ws(s, next);
            if s.get(i) == Some(&':') && s.get(i + 1) == Some(&':') {
                i = skip_ws(s, i + 2);
            } else {
                out.push(path);
                return i;
            }
        }
    }
    let s: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let starts = i == 0 || !(s[i - 1].is_alphanumeric() || matches!(s[i - 1], '_' | ':' | '$'));
        if !starts || !(s[i].is_alphabetic() || s[i] == '_') {
            i += 1;
            continue;
        }
        let (word, next) = ident(&s, i);
        let rooted =
            matches!(word.as_str(), "crate" | "super" | "self") || children.contains(&word);
        if rooted && s.get(next) == Some(&':') && s.get(next + 1) == Some(&':') {
            let end = tree(&s, i, &[], &mut out);
            i = end.max(next);
        } else {
            i = next.max(i + 1);
        }
    }
    out
}

/// The child modules a file declares (`mod x;`).
fn declared_children(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in code.lines() {
        let line = line.trim();
        if let Some(at) = line.find("mod ")
            && line.ends_with(';')
            && (at == 0 || line[..at].ends_with(' '))
        {
            let name = line[at + 4..].trim_end_matches(';').trim();
            if name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                found.insert(name.to_owned());
            }
        }
    }
    found
}

/// file module → (module it names, the file naming it), every name
/// resolved to the longest module path a product file has. Inside a
/// file's `#[cfg(test)]` module, `super` is the file itself.
fn file_graph() -> BTreeMap<Vec<String>, BTreeMap<Vec<String>, String>> {
    let files: Vec<PathBuf> = product_files()
        .into_iter()
        .filter(|(module, _)| module != "architecture")
        .map(|(_, path)| path)
        .collect();
    let known: BTreeSet<Vec<String>> = files.iter().map(|p| module_path(p)).collect();
    let mut graph: BTreeMap<Vec<String>, BTreeMap<Vec<String>, String>> = BTreeMap::new();
    for path in &files {
        let module = module_path(path);
        let code = code_only(&std::fs::read_to_string(path).expect("read a source file"));
        let children = declared_children(&code);
        let (main, test) = code
            .find("#[cfg(test)]")
            .map_or((code.as_str(), ""), |at| code.split_at(at));
        let entry = graph.entry(module.clone()).or_default();
        for (part, base) in [
            (main, module.clone()),
            (test, [module.clone(), vec!["tests".to_owned()]].concat()),
        ] {
            for named in named_paths(part, &children) {
                let mut full = Vec::new();
                let mut rest = named.as_slice();
                match rest.first().map(String::as_str) {
                    Some("crate") => rest = &rest[1..],
                    Some("self") => {
                        full = base.clone();
                        rest = &rest[1..];
                    }
                    Some("super") => {
                        full = base.clone();
                        while rest.first().is_some_and(|s| s == "super") {
                            full.pop();
                            rest = &rest[1..];
                        }
                    }
                    _ => full = module.clone(), // a declared child
                }
                full.extend(rest.iter().cloned());
                let target = (0..=full.len())
                    .rev()
                    .map(|n| full[..n].to_vec())
                    .find(|prefix| known.contains(prefix));
                if let Some(target) = target
                    && target != module
                {
                    entry
                        .entry(target)
                        .or_insert_with(|| path.display().to_string());
                }
            }
        }
    }
    graph
}

/// The edge `from → to` as seen inside the module holding both: the two
/// children of their common parent they sit under, or `None` when one
/// contains the other (a `mod.rs` and its own files are one room).
fn sibling_edge(from: &[String], to: &[String]) -> Option<(Vec<String>, String, String)> {
    let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
    if common == from.len() || common == to.len() {
        return None;
    }
    Some((
        from[..common].to_vec(),
        from[common].clone(),
        to[common].clone(),
    ))
}

#[test]
fn no_files_import_each_other_in_a_circle() {
    // Within each module, the graph of its children (a folder counts as one).
    let mut rooms: BTreeMap<Vec<String>, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (from, targets) in file_graph() {
        for to in targets.keys() {
            if let Some((parent, a, b)) = sibling_edge(&from, to) {
                rooms
                    .entry(parent)
                    .or_default()
                    .entry(a)
                    .or_default()
                    .insert(b);
            }
        }
    }
    assert!(
        rooms
            .get(&vec!["steps".to_owned()])
            .is_some_and(|steps| steps.contains_key("connect_platform")),
        "the scanner sees `super::` imports between the steps"
    );
    let mut cycles = Vec::new();
    for (parent, graph) in &rooms {
        let found = cycles_in(graph);
        let within = if parent.is_empty() {
            "src".to_owned()
        } else {
            parent.join("::")
        };
        cycles.extend(found.into_iter().map(|c| format!("in {within}: {c}")));
    }
    assert!(
        cycles.is_empty(),
        "import cycles between files:\n{}",
        cycles.join("\n")
    );
}

/// The commands that may import another command: none. What they share
/// lives below them, in the engine (issue 16).
const COMMANDS_IMPORTING_COMMANDS: &[(&str, &str)] = &[];

#[test]
fn no_command_imports_another_command() {
    let mut found = BTreeSet::new();
    let mut wrong = Vec::new();
    for (from, targets) in file_graph() {
        for (to, file) in &targets {
            let ([first, a, ..], [second, b, ..]) = (from.as_slice(), to.as_slice()) else {
                continue;
            };
            if first != "commands" || second != "commands" || a == b {
                continue;
            }
            found.insert((a.clone(), b.clone()));
            if !COMMANDS_IMPORTING_COMMANDS.contains(&(a.as_str(), b.as_str())) {
                wrong.push(format!("{file}: the command {a} imports the command {b}"));
            }
        }
    }
    let stale: Vec<_> = COMMANDS_IMPORTING_COMMANDS
        .iter()
        .filter(|(a, b)| !found.contains(&((*a).to_owned(), (*b).to_owned())))
        .collect();
    assert!(
        stale.is_empty(),
        "listed as exceptions but no longer imported (remove them): {stale:?}"
    );
    wrong.sort();
    wrong.dedup();
    assert!(
        wrong.is_empty(),
        "a command imports another:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_file_scanner_resolves_super_groups_and_children() {
    let children: BTreeSet<String> = ["token".to_owned()].into();
    let code = code_only(
        "use super::{platform_preflight::PlatformTarget, is_ambiguous};\nuse token::T;\nlet x = Kind::Usage; super::super::x::y();\n$crate::z::w();\n",
    );
    let found: Vec<String> = named_paths(&code, &children)
        .into_iter()
        .map(|p| p.join("::"))
        .collect();
    assert_eq!(
        found,
        [
            "super::platform_preflight::PlatformTarget",
            "super::is_ambiguous",
            "token::T",
            "super::super::x::y",
        ]
    );
    let s = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        sibling_edge(&s(&["steps", "a"]), &s(&["steps", "b", "c"])),
        Some((s(&["steps"]), "a".to_owned(), "b".to_owned()))
    );
    assert_eq!(
        sibling_edge(
            &s(&["commands", "setup", "secret"]),
            &s(&["commands", "setup"])
        ),
        None
    );
}

mod documents;
