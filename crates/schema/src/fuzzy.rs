//! PostgREST's fuzzy name match for "Perhaps you meant ..." hints (the Haskell `fuzzyset` package's `getOne`).
//!
//! The match, as `fuzzyset` does it with PostgREST's defaults (gram sizes 3 then 2, Levenshtein, minimum
//! score 0.33): a name equal to the query ignoring case wins outright. Otherwise, for gram size 3 and then 2,
//! the names sharing at least one gram with the query are ranked by the cosine similarity of their gram
//! counts (grams of the lower-cased name stripped of all but letters, digits, spaces and commas, wrapped in
//! `-`); the best 50 are ranked again by Levenshtein similarity of the lower-cased strings
//! (`1 - distance / longer length`), and the best one scoring at least 0.33 is the answer. The first gram
//! size with an answer decides. Ties, which `fuzzyset` breaks by hash order, go to the name sorting first.

use std::collections::HashMap;

/// Names longer than this get no hint: no PostgreSQL name is longer than 63 bytes, and the cost of a match
/// grows with the query.
const MAX_QUERY_CHARS: usize = 256;

/// Past this many candidates no hint is computed, which bounds the work an unknown name can cause.
const MAX_CANDIDATES: usize = 100_000;

/// `fuzzyset`'s default minimum score (`getOne`), which PostgREST keeps for parameter-list hints.
pub const DEFAULT_MIN_SCORE: f64 = 0.33;
/// The minimum PostgREST asks for table and function name hints (`getOneWithMinScore 0.75`), so that an
/// unknown name does not reveal an unrelated one.
pub const NAME_MIN_SCORE: f64 = 0.75;
const LEVENSHTEIN_POOL: usize = 50;

/// The candidate closest to `query` scoring at least `DEFAULT_MIN_SCORE`.
pub fn closest<'a>(candidates: impl IntoIterator<Item = &'a str>, query: &str) -> Option<&'a str> {
    closest_with_min_score(candidates, query, DEFAULT_MIN_SCORE)
}

/// The candidate closest to `query` scoring at least `min_score`, if any.
pub fn closest_with_min_score<'a>(
    candidates: impl IntoIterator<Item = &'a str>,
    query: &str,
    min_score: f64,
) -> Option<&'a str> {
    if query.chars().count() > MAX_QUERY_CHARS {
        return None;
    }
    // Keyed by the lower-cased name as `fuzzyset` keys its entries; the first name in sorted order keeps a key.
    let mut entries: Vec<(String, &'a str)> = Vec::new();
    for (i, name) in candidates.into_iter().enumerate() {
        if i >= MAX_CANDIDATES {
            return None;
        }
        entries.push((name.to_lowercase(), name));
    }
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)));
    entries.dedup_by(|later, first| later.0 == first.0);

    let key = query.to_lowercase();
    if let Ok(i) = entries.binary_search_by(|e| e.0.as_str().cmp(&key)) {
        return entries.get(i).map(|e| e.1);
    }
    for gram_size in [3, 2] {
        if let Some(found) = closest_by_grams(&entries, &key, gram_size, min_score) {
            return Some(found);
        }
    }
    None
}

fn closest_by_grams<'a>(
    entries: &[(String, &'a str)],
    key: &str,
    gram_size: usize,
    min_score: f64,
) -> Option<&'a str> {
    let query = gram_counts(key, gram_size);
    let query_norm = norm(&query);
    let mut cosine: Vec<(f64, usize)> = Vec::new();
    for (i, (lower, _)) in entries.iter().enumerate() {
        let counts = gram_counts(lower, gram_size);
        let dot: usize = counts
            .iter()
            .map(|(g, n)| n * query.get(g).copied().unwrap_or(0))
            .sum();
        if dot > 0 {
            cosine.push((dot as f64 / (query_norm * norm(&counts)), i));
        }
    }
    // Stable sorts over name order, so equal scores keep the name sorting first.
    cosine.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut rescored: Vec<(f64, usize)> = cosine
        .iter()
        .take(LEVENSHTEIN_POOL)
        .filter_map(|&(_, i)| entries.get(i).map(|e| (levenshtein_similarity(key, &e.0), i)))
        .collect();
    rescored.sort_by(|a, b| b.0.total_cmp(&a.0));
    rescored
        .into_iter()
        .find(|&(score, _)| score >= min_score)
        .and_then(|(_, i)| entries.get(i).map(|e| e.1))
}

/// Counts of the `size`-grams of `-normalized-`, normalized keeping letters, digits, whitespace and commas.
fn gram_counts(lower: &str, size: usize) -> HashMap<String, usize> {
    let mut chars: Vec<char> = vec!['-'];
    chars.extend(
        lower
            .chars()
            .filter(|c| c.is_alphanumeric() || c.is_whitespace() || *c == ','),
    );
    chars.push('-');
    let mut counts = HashMap::new();
    for window in chars.windows(size) {
        *counts.entry(window.iter().collect::<String>()).or_insert(0) += 1;
    }
    counts
}

fn norm(counts: &HashMap<String, usize>) -> f64 {
    (counts.values().map(|n| n * n).sum::<usize>() as f64).sqrt()
}

/// `1 - levenshtein(a, b) / max(len a, len b)` over characters (1 for two empty strings).
fn levenshtein_similarity(a: &str, b: &str) -> f64 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let longest = a.len().max(b.len());
    if longest == 0 {
        return 1.0;
    }
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    1.0 - previous[b.len()] as f64 / longest as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(candidates: &[&str], query: &str, expect: Option<&str>) {
        assert_eq!(
            closest(candidates.iter().copied(), query),
            expect,
            "query {query:?} in {candidates:?}"
        );
    }

    #[test]
    fn postgrest_doc_examples() {
        // The examples in PostgREST's noRpcHint and noRelBetweenHint documentation.
        check(&["test", "another"], "testt", Some("test"));
        check(&["test", "another"], "other", Some("another"));
        check(&["test", "another"], "noclosealternative", None);
        check(
            &["(name, param, val)", "(attr, id)"],
            "(nam, pqaram, vall)",
            Some("(name, param, val)"),
        );
        check(
            &["(name, param, val)", "(attr, id)"],
            "(param, val)",
            Some("(name, param, val)"),
        );
        check(
            &["(name, param, val)", "(attr, id)"],
            "(attrs, id)",
            Some("(attr, id)"),
        );
        check(&["(name, param, val)", "(attr, id)"], "(id)", Some("(attr, id)"));
        check(
            &["(name, param, val)", "(attr, id)"],
            "(noclosealternative)",
            None,
        );
        check(&["films", "directors", "roles", "actors"], "film", Some("films"));
        check(&["directors", "roles", "actors"], "role", Some("roles"));
        check(&["films"], "noclosealternative", None);
    }

    #[test]
    fn case_insensitive_exact_match_wins() {
        check(&["Authors", "authorz"], "authors", Some("Authors"));
        check(&["items"], "ITEMS", Some("items"));
    }

    #[test]
    fn no_candidates_no_hint() {
        check(&[], "items", None);
    }

    #[test]
    fn typos() {
        check(&["projects", "clients", "tasks"], "projcets", Some("projects"));
        check(&["projects", "clients", "tasks"], "client", Some("clients"));
        check(&["projects", "clients", "tasks"], "xyz", None);
    }

    #[test]
    fn punctuation_is_ignored_in_grams() {
        check(
            &["user_accounts", "orders"],
            "useraccounts",
            Some("user_accounts"),
        );
    }

    #[test]
    fn non_ascii_names() {
        check(&["café", "tea"], "cafe", Some("café"));
    }

    #[test]
    fn ties_go_to_the_first_name() {
        check(&["ab2", "ab1"], "ab", Some("ab1"));
    }

    #[test]
    fn huge_queries_get_no_hint() {
        let long = "a".repeat(MAX_QUERY_CHARS + 1);
        check(&["a"], &long, None);
    }

    #[test]
    fn many_candidates_are_fast_enough() {
        let names: Vec<String> = (0..10_000).map(|i| format!("t_{i:05}")).collect();
        let found = closest(names.iter().map(String::as_str), "t_0999");
        assert!(found.is_some_and(|f| f.starts_with("t_0")), "{found:?}");
    }

    #[test]
    fn levenshtein() {
        assert_eq!(levenshtein_similarity("", ""), 1.0);
        assert_eq!(levenshtein_similarity("abc", "abc"), 1.0);
        assert_eq!(levenshtein_similarity("kitten", "sitting"), 1.0 - 3.0 / 7.0);
    }

    #[test]
    fn name_hints_need_a_close_match() {
        // 1 - distance / longer length must reach 0.75 for table and function names.
        let names = ["measurements", "items_in_stock", "request_info", "strings"];
        let table = |q: &str| closest_with_min_score(names.iter().copied(), q, NAME_MIN_SCORE);
        assert_eq!(table("measurement"), Some("measurements"));
        assert_eq!(table("strngs"), Some("strings"));
        assert_eq!(table("measurements_y2023"), None);
        assert_eq!(table("strinzz"), None);
        assert_eq!(table("only_in_other"), None);
    }
}
