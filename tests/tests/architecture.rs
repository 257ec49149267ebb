//! The layering ARCHITECTURE.md promises: within each crate, the top-level modules import one
//! another without circles (a module's `crate::…` paths, comments and unit tests left out).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use bioscope_tests::repo_root;

const CRATES: [&str; 7] = [
    "server/core",
    "server/lexicon",
    "server/tagger",
    "server/analysis",
    "server/lsp",
    "server/cli",
    "trainer",
];

/// Every `.rs` file under `dir` with the top-level module it belongs to (`""` for the root).
fn files(src: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(src, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path.strip_prefix(src).unwrap();
            let first = relative.components().next().unwrap().as_os_str();
            let module = first.to_string_lossy().trim_end_matches(".rs").to_string();
            let module = match module.as_str() {
                "lib" | "main" => String::new(),
                _ => module,
            };
            out.push((module, std::fs::read_to_string(&path).unwrap()));
        }
    }
}

/// The code of a file without line comments and without its unit-test module.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or("");
    text.lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules a file's code names through `crate::`.
fn imports(code: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    code.match_indices("crate::")
        .filter(|(at, _)| !code[..*at].ends_with(|c: char| c.is_alphanumeric() || c == '_'))
        .filter_map(|(at, _)| {
            let rest = &code[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            modules.contains(&name).then_some(name)
        })
        .collect()
}

/// A circle in `graph`, if there is one (depth-first search).
fn circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut found = path[at..].to_vec();
            found.push(node.to_string());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_crate_has_an_import_circle_between_its_modules() {
    for krate in CRATES {
        let src = repo_root().join(krate).join("src");
        let mut all = Vec::new();
        files(&src, &src, &mut all);
        let modules: BTreeSet<String> = all.iter().map(|(m, _)| m.clone()).collect();
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (module, text) in &all {
            let edges = graph.entry(module.clone()).or_default();
            for import in imports(&code(text), &modules) {
                if import != *module && !module.is_empty() {
                    edges.insert(import);
                }
            }
        }
        assert!(modules.len() > 2, "{krate}: modules not found");
        assert_eq!(circle(&graph), None, "{krate}: import circle");
    }
}

#[test]
fn the_circle_finder_finds_a_circle_and_only_a_circle() {
    let graph = |edges: &[(&str, &str)]| {
        let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (a, b) in edges {
            g.entry(a.to_string()).or_default().insert(b.to_string());
        }
        g
    };
    assert_eq!(circle(&graph(&[("a", "b"), ("b", "c"), ("a", "c")])), None);
    assert_eq!(
        circle(&graph(&[("a", "b"), ("b", "c"), ("c", "a")])),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    let modules: BTreeSet<String> = ["state", "handlers", "engine"].map(String::from).into();
    let code = code(
        "use crate::state::State;\n// crate::engine\nfn f() { my_crate::engine(); }\n\
         #[cfg(test)]\nmod tests { use crate::handlers; }",
    );
    assert_eq!(imports(&code, &modules), ["state".to_string()].into());
}
