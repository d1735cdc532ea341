//! Where view columns come from: the top-level target list of a view's stored query tree (`pg_node_tree`
//! text), followed through views of views to table columns. PostgREST derives view primary keys and view
//! relationships from this ("view key dependencies").

/// One output column of a view's query: its position and the relation column it reads unchanged, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TargetEntry {
    pub resno: i16,
    /// `(relation oid, column number)`; `None` for a computed column.
    pub origin: Option<(u32, i16)>,
}

/// Deeper nesting than this is not a view anyone wrote; such a tree is read as having no target list.
const MAX_DEPTH: usize = 10_000;

/// The target entries of the first (top-level) query of a `pg_node_tree` text such as
/// `({QUERY ... :targetList ({TARGETENTRY ... :resno 1 ... :resorigtbl 16426 :resorigcol 1 ...}) ...})`,
/// without its junk entries. `None` when the text is not such a tree.
///
/// Entries of nested queries (sub-selects in FROM, sub-links in expressions, CTEs) are at deeper levels and
/// are skipped by tracking brace and parenthesis depth; node text escapes special characters with `\`.
pub(crate) fn top_level_targets(tree: &str) -> Option<Vec<TargetEntry>> {
    let mut tokens = Tokens {
        text: tree.as_bytes(),
        pos: 0,
        depth: 0,
    };
    // The first node opened is the top-level Query.
    let query_depth = loop {
        match tokens.next()? {
            Token::Open(b'{') => break tokens.depth,
            Token::Open(_) => {}
            _ => return None,
        }
    };
    if tokens.next()? != Token::Atom("QUERY") {
        return None;
    }
    loop {
        match tokens.next()? {
            Token::Atom(":targetList") if tokens.depth == query_depth => break,
            Token::Close(_) if tokens.depth < query_depth => return None,
            _ => {}
        }
    }
    let list_depth = match tokens.next()? {
        Token::Open(b'(') => tokens.depth,
        // `<>`: an empty list.
        _ => return Some(Vec::new()),
    };
    let mut entries = Vec::new();
    loop {
        match tokens.next()? {
            Token::Open(b'{') if tokens.depth == list_depth + 1 => {
                if let Some(entry) = target_entry(&mut tokens)? {
                    entries.push(entry);
                }
            }
            Token::Close(_) if tokens.depth < list_depth => return Some(entries),
            _ => {}
        }
    }
}

/// Reads one `{TARGETENTRY ...}` whose `{` was just consumed, through its `}`. `Some(None)` for a junk
/// entry or another node kind.
fn target_entry(tokens: &mut Tokens<'_>) -> Option<Option<TargetEntry>> {
    let depth = tokens.depth;
    let is_entry = tokens.next()? == Token::Atom("TARGETENTRY");
    let (mut resno, mut tbl, mut col, mut junk) = (None, None, None, false);
    let mut field: Option<&str> = None;
    loop {
        let token = tokens.next()?;
        match token {
            Token::Close(_) if tokens.depth < depth => break,
            Token::Atom(name) if tokens.depth == depth && name.starts_with(':') => field = Some(name),
            Token::Atom(value) if tokens.depth == depth => match field.take() {
                Some(":resno") => resno = value.parse::<i16>().ok(),
                Some(":resorigtbl") => tbl = value.parse::<u32>().ok(),
                Some(":resorigcol") => col = value.parse::<i16>().ok(),
                Some(":resjunk") => junk = value == "true",
                _ => {}
            },
            _ => field = None,
        }
    }
    if !is_entry || junk {
        return Some(None);
    }
    let origin = match (tbl, col) {
        (Some(t), Some(c)) if t != 0 && c > 0 => Some((t, c)),
        _ => None,
    };
    Some(resno.map(|resno| TargetEntry { resno, origin }))
}

#[derive(Debug, PartialEq, Eq)]
enum Token<'a> {
    Open(u8),
    Close(u8),
    /// A bare token, still escaped (field names, numbers and booleans never need escapes).
    Atom(&'a str),
}

/// The tokens of a node tree, with the nesting depth after each.
struct Tokens<'a> {
    text: &'a [u8],
    pos: usize,
    depth: usize,
}

impl<'a> Tokens<'a> {
    fn next(&mut self) -> Option<Token<'a>> {
        while self.text.get(self.pos).is_some_and(|b| b.is_ascii_whitespace()) {
            self.pos += 1;
        }
        let first = *self.text.get(self.pos)?;
        match first {
            b'{' | b'(' => {
                self.pos += 1;
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return None;
                }
                Some(Token::Open(first))
            }
            b'}' | b')' => {
                self.pos += 1;
                self.depth = self.depth.checked_sub(1)?;
                Some(Token::Close(first))
            }
            _ => {
                let start = self.pos;
                while let Some(&b) = self.text.get(self.pos) {
                    match b {
                        b'\\' => self.pos += 2,
                        b'{' | b'}' | b'(' | b')' => break,
                        b if b.is_ascii_whitespace() => break,
                        _ => self.pos += 1,
                    }
                }
                self.pos = self.pos.min(self.text.len());
                // Token boundaries are ASCII bytes, so the slice is valid UTF-8 when the text is.
                let atom = std::str::from_utf8(self.text.get(start..self.pos)?).ok()?;
                Some(Token::Atom(atom))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(resno: i16, origin: Option<(u32, i16)>) -> TargetEntry {
        TargetEntry { resno, origin }
    }

    #[test]
    fn simple_view() {
        // CREATE VIEW v AS SELECT id, title FROM books (abridged).
        let tree = r#"({QUERY :commandType 1 :utilityStmt <> :rtable ({RANGETBLENTRY :alias <> :eref {ALIAS :aliasname books :colnames ("id" "title")} :relid 16426}) :jointree {FROMEXPR :fromlist ({RANGETBLREF :rtindex 1}) :quals <>} :targetList ({TARGETENTRY :expr {VAR :varno 1 :varattno 1 :location 39} :resno 1 :resname id :ressortgroupref 0 :resorigtbl 16426 :resorigcol 1 :resjunk false} {TARGETENTRY :expr {FUNCEXPR :funcid 871 :args ({VAR :varno 1 :varattno 2}) :location 43} :resno 2 :resname up :ressortgroupref 0 :resorigtbl 0 :resorigcol 0 :resjunk false}) :override 0})"#;
        assert_eq!(
            top_level_targets(tree),
            Some(vec![entry(1, Some((16426, 1))), entry(2, None)])
        );
    }

    #[test]
    fn nested_queries_are_skipped() {
        // SELECT s.shelf_no, (SELECT count(*) ...) AS n FROM (SELECT id AS shelf_no FROM shelves) s:
        // the sub-select in FROM and the sub-link have target lists of their own.
        let tree = r#"({QUERY :commandType 1 :rtable ({RANGETBLENTRY :rtekind 1 :subquery {QUERY :commandType 1 :targetList ({TARGETENTRY :expr {VAR :varno 1} :resno 1 :resname shelf_no :ressortgroupref 0 :resorigtbl 240140 :resorigcol 1 :resjunk false})}}) :targetList ({TARGETENTRY :expr {VAR :varno 1} :resno 1 :resname shelf_no :ressortgroupref 0 :resorigtbl 240140 :resorigcol 1 :resjunk false} {TARGETENTRY :expr {SUBLINK :subLinkType 4 :subselect {QUERY :commandType 1 :targetList ({TARGETENTRY :expr {AGGREF} :resno 1 :resname count :ressortgroupref 0 :resorigtbl 0 :resorigcol 0 :resjunk false})}} :resno 2 :resname n :ressortgroupref 0 :resorigtbl 0 :resorigcol 0 :resjunk false}) :override 0})"#;
        assert_eq!(
            top_level_targets(tree),
            Some(vec![entry(1, Some((240140, 1))), entry(2, None)])
        );
    }

    #[test]
    fn escapes_and_junk() {
        // A column named "a {b}" and a junk entry (as ORDER BY on a non-selected column leaves).
        let tree = r#"({QUERY :targetList ({TARGETENTRY :expr {CONST :constvalue 4 [ 1 0 0 0 ]} :resno 1 :resname a\ \{b\} :resorigtbl 7 :resorigcol 2 :resjunk false} {TARGETENTRY :expr {VAR} :resno 2 :resname <> :resorigtbl 7 :resorigcol 3 :resjunk true})})"#;
        assert_eq!(top_level_targets(tree), Some(vec![entry(1, Some((7, 2)))]));
    }

    #[test]
    fn empty_and_malformed() {
        assert_eq!(
            top_level_targets("({QUERY :targetList <> :override 0})"),
            Some(vec![])
        );
        assert_eq!(top_level_targets(""), None);
        assert_eq!(
            top_level_targets("({QUERY :targetList ({TARGETENTRY :resno 1"),
            None
        );
        assert_eq!(top_level_targets("({NOTQUERY :targetList ()})"), None);
        assert_eq!(top_level_targets("}}}"), None);
        assert_eq!(top_level_targets("({QUERY :rtable ()})"), None);
        assert_eq!(top_level_targets("\\"), None);
        let deep = format!("({}", "(".repeat(MAX_DEPTH + 5));
        assert_eq!(top_level_targets(&deep), None);
    }
}
