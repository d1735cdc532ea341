//! The config file syntax PostgREST reads (Haskell `configurator`): parsing with positions, then groups, imports and `$(VAR)`.
//!
//! The grammar, as PostgREST's `configurator-pg` reads it:
//! - one `name = value` per line; names are `.`-separated segments of a letter then letters, digits, `_`, `-`;
//! - values: `"strings"` (escapes `\n \t \r \" \\ \uXXXX`), numbers (`-1.5e3`), `true`/`false`/`on`/`off`,
//!   `[lists, of, values]`;
//! - `# comments` to the end of a line, `#;` comments out the next setting;
//! - `name { ... }` groups prefix the names inside with `name.`; `import "file"` reads another file;
//! - in strings, `$(NAME)` is replaced by an earlier setting or an environment variable and `$$` is a `$`.

use std::collections::BTreeMap;

use crate::error::ConfigError;

/// A value as written in a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    String(String),
    /// The number's text as written (`10`, `-1.5e3`), so nothing is lost before validation.
    Number(String),
    Bool(bool),
    List(Vec<Value>),
}

/// 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

/// One parsed statement of a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Directive {
    Bind {
        key: String,
        value: Value,
        pos: Pos,
        value_pos: Pos,
    },
    Group {
        key: String,
        body: Vec<Directive>,
    },
    Import {
        path: String,
        pos: Pos,
    },
}

/// A parse error at a position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub pos: Pos,
    pub message: String,
}

/// Deeper nesting of groups or lists than this is refused, so hostile input cannot exhaust the stack.
const MAX_NESTING: u32 = 64;
/// Imports deeper than this are taken for a cycle.
const MAX_IMPORT_DEPTH: u32 = 16;

/// Parses a whole file into directives; never panics.
pub fn parse(src: &str) -> Result<Vec<Directive>, SyntaxError> {
    let mut p = Parser {
        src,
        pos: 0,
        line: 1,
        column: 1,
        depth: 0,
    };
    let directives = p.directives(false)?;
    match p.peek() {
        None => Ok(directives),
        Some(c) => Err(p.error(format!("unexpected {}", show_char(c)))),
    }
}

struct Parser<'s> {
    src: &'s str,
    /// Byte offset, always on a char boundary because it only moves by `len_utf8`.
    pos: usize,
    line: u32,
    column: u32,
    depth: u32,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        self.src.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn peek2(&self) -> Option<char> {
        self.rest().chars().nth(1)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line = self.line.saturating_add(1);
            self.column = 1;
        } else {
            self.column = self.column.saturating_add(1);
        }
        Some(c)
    }

    fn here(&self) -> Pos {
        Pos {
            line: self.line,
            column: self.column,
        }
    }

    fn error(&self, message: impl Into<String>) -> SyntaxError {
        SyntaxError {
            pos: self.here(),
            message: message.into(),
        }
    }

    /// Skips white space, new lines and comments (but not `#;`, which comments out a directive).
    fn skip_lws(&mut self) {
        loop {
            while self.peek().is_some_and(char::is_whitespace) {
                self.bump();
            }
            if self.peek() == Some('#') && self.peek2() != Some(';') {
                self.skip_to_eol();
            } else {
                return;
            }
        }
    }

    /// Skips spaces, tabs and a trailing comment, stopping at the end of the line.
    fn skip_hws(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t')) {
            self.bump();
        }
        if self.peek() == Some('#') {
            self.skip_to_eol();
        }
    }

    fn skip_to_eol(&mut self) {
        while self.peek().is_some_and(|c| c != '\n' && c != '\r') {
            self.bump();
        }
    }

    fn enter(&mut self) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(self.error(format!("nested more than {MAX_NESTING} levels deep")));
        }
        Ok(())
    }

    /// Directives separated by new lines, up to the end of input or (in a group) a `}`.
    fn directives(&mut self, in_group: bool) -> Result<Vec<Directive>, SyntaxError> {
        let mut out = Vec::new();
        loop {
            self.skip_lws();
            match self.peek() {
                None => return Ok(out),
                Some('}') if in_group => return Ok(out),
                _ => {}
            }
            if let Some(d) = self.directive()? {
                out.push(d);
            }
            self.skip_hws();
            match self.peek() {
                None | Some('\n' | '\r') => {}
                Some('}') if in_group => return Ok(out),
                Some(c) => {
                    return Err(self.error(format!(
                        "unexpected {} after a setting; put each setting on its own line",
                        show_char(c)
                    )))
                }
            }
        }
    }

    /// One directive; `None` for a `#;`-commented one.
    fn directive(&mut self) -> Result<Option<Directive>, SyntaxError> {
        if self.rest().starts_with("#;") {
            self.bump();
            self.bump();
            self.skip_hws();
            self.enter()?;
            let _ignored = self.directive()?;
            self.depth -= 1;
            return Ok(None);
        }
        let pos = self.here();
        let key = self.ident()?;
        self.skip_lws();
        if key == "import" {
            if self.peek() == Some('"') {
                let path = self.string()?;
                return Ok(Some(Directive::Import { path, pos }));
            }
            return Err(SyntaxError {
                pos,
                message: "\"import\" is reserved and cannot be a setting name".into(),
            });
        }
        match self.peek() {
            Some('=') => {
                self.bump();
                self.skip_lws();
                let value_pos = self.here();
                let value = self.value()?;
                Ok(Some(Directive::Bind {
                    key,
                    value,
                    pos,
                    value_pos,
                }))
            }
            Some('{') => {
                self.bump();
                self.enter()?;
                let body = self.directives(true)?;
                self.skip_lws();
                if self.bump() != Some('}') {
                    return Err(self.error(format!("expected '}}' to close the group \"{key}\"")));
                }
                self.depth -= 1;
                Ok(Some(Directive::Group { key, body }))
            }
            Some(c) => Err(self.error(format!("expected '=' after \"{key}\", found {}", show_char(c)))),
            None => Err(self.error(format!("expected '=' after \"{key}\", found the end of the file"))),
        }
    }

    /// `segment(.segment)*`, each segment a letter then letters, digits, `_` or `-`.
    fn ident(&mut self) -> Result<String, SyntaxError> {
        let start = self.pos;
        loop {
            match self.peek() {
                Some(c) if c.is_alphabetic() => {
                    self.bump();
                }
                Some(c) if self.pos == start => {
                    return Err(self.error(format!("expected a setting name, found {}", show_char(c))))
                }
                None if self.pos == start => {
                    return Err(self.error("expected a setting name, found the end of the file"))
                }
                _ => return Err(self.error("a setting name must not end with '.'; expected a letter")),
            }
            while self
                .peek()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-')
            {
                self.bump();
            }
            if self.peek() == Some('.') {
                self.bump();
            } else {
                break;
            }
        }
        Ok(self.src.get(start..self.pos).unwrap_or("").to_owned())
    }

    fn value(&mut self) -> Result<Value, SyntaxError> {
        match self.peek() {
            Some('"') => self.string().map(Value::String),
            Some('[') => self.list(),
            Some(c) if c == '-' || c == '+' || c.is_ascii_digit() => self.number(),
            Some(c) if c.is_alphabetic() => {
                let pos = self.here();
                let start = self.pos;
                while self.peek().is_some_and(char::is_alphanumeric) {
                    self.bump();
                }
                match self.src.get(start..self.pos).unwrap_or("") {
                    "true" | "on" => Ok(Value::Bool(true)),
                    "false" | "off" => Ok(Value::Bool(false)),
                    word => Err(SyntaxError {
                        pos,
                        message: format!(
                            "unexpected word \"{word}\": strings must be in double quotes, booleans are true/false/on/off"
                        ),
                    }),
                }
            }
            Some(c) => Err(self.error(format!(
                "expected a value (a \"string\", a number, true/false or a [list]), found {}",
                show_char(c)
            ))),
            None => Err(self.error("expected a value, found the end of the file")),
        }
    }

    fn list(&mut self) -> Result<Value, SyntaxError> {
        self.bump();
        self.enter()?;
        let mut items = Vec::new();
        self.skip_lws();
        if self.peek() == Some(']') {
            self.bump();
        } else {
            loop {
                items.push(self.value()?);
                self.skip_lws();
                match self.bump() {
                    Some(',') => self.skip_lws(),
                    Some(']') => break,
                    Some(c) => {
                        return Err(
                            self.error(format!("expected ',' or ']' in a list, found {}", show_char(c)))
                        )
                    }
                    None => return Err(self.error("unterminated list: expected ']'")),
                }
            }
        }
        self.depth -= 1;
        Ok(Value::List(items))
    }

    /// `[+-]digits[.digits][(e|E)[+-]digits]`, kept as text.
    fn number(&mut self) -> Result<Value, SyntaxError> {
        let start = self.pos;
        if matches!(self.peek(), Some('+' | '-')) {
            self.bump();
        }
        if !self.peek().is_some_and(|c| c.is_ascii_digit()) {
            return Err(self.error("expected a digit"));
        }
        self.digits();
        if self.peek() == Some('.') && self.peek2().is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
            self.digits();
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            let mut ahead = self.rest().chars().skip(1);
            let exponent_ok = match ahead.next() {
                Some('+' | '-') => ahead.next().is_some_and(|c| c.is_ascii_digit()),
                Some(c) => c.is_ascii_digit(),
                None => false,
            };
            if exponent_ok {
                self.bump();
                if matches!(self.peek(), Some('+' | '-')) {
                    self.bump();
                }
                self.digits();
            }
        }
        Ok(Value::Number(
            self.src.get(start..self.pos).unwrap_or("").to_owned(),
        ))
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
        }
    }

    /// A double-quoted string with its escapes resolved (interpolation comes later, at evaluation).
    fn string(&mut self) -> Result<String, SyntaxError> {
        let open = self.here();
        self.bump();
        let mut out = String::new();
        loop {
            let at = self.here();
            match self.bump() {
                None => {
                    return Err(SyntaxError {
                        pos: open,
                        message: "unterminated string: missing the closing '\"'".into(),
                    })
                }
                Some('"') => return Ok(out),
                Some('\\') => match self.bump() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('r') => out.push('\r'),
                    Some('"') => out.push('"'),
                    Some('\\') => out.push('\\'),
                    Some('u') => out.push(self.unicode_escape(at)?),
                    Some(c) => {
                        return Err(SyntaxError {
                            pos: at,
                            message: format!(
                                "invalid escape \\{c} in a string (valid: \\n \\t \\r \\\" \\\\ \\uXXXX)"
                            ),
                        })
                    }
                    None => {
                        return Err(SyntaxError {
                            pos: open,
                            message: "unterminated string: missing the closing '\"'".into(),
                        })
                    }
                },
                Some(c) => out.push(c),
            }
        }
    }

    /// The `XXXX` of `\uXXXX`, with UTF-16 surrogate pairs written as two escapes.
    fn unicode_escape(&mut self, at: Pos) -> Result<char, SyntaxError> {
        let bad = |message: &str| SyntaxError {
            pos: at,
            message: message.to_owned(),
        };
        let high = self
            .hex4()
            .ok_or_else(|| bad("\\u must be followed by 4 hex digits"))?;
        if !(0xD800..=0xDFFF).contains(&high) {
            return char::from_u32(high).ok_or_else(|| bad("invalid \\u escape"));
        }
        if high > 0xDBFF || !self.rest().starts_with("\\u") {
            return Err(bad("invalid UTF-16 surrogates in \\u escape"));
        }
        self.bump();
        self.bump();
        let low = self
            .hex4()
            .ok_or_else(|| bad("\\u must be followed by 4 hex digits"))?;
        if !(0xDC00..=0xDFFF).contains(&low) {
            return Err(bad("invalid UTF-16 surrogates in \\u escape"));
        }
        char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
            .ok_or_else(|| bad("invalid \\u escape"))
    }

    fn hex4(&mut self) -> Option<u32> {
        let mut n = 0;
        for _ in 0..4 {
            let d = self.peek()?.to_digit(16)?;
            self.bump();
            n = n * 16 + d;
        }
        Some(n)
    }
}

fn show_char(c: char) -> String {
    match c {
        '\n' | '\r' => "end of line".into(),
        c if c.is_control() => format!("character U+{:04X}", u32::from(c)),
        c => format!("'{c}'"),
    }
}

/// A setting after evaluation: full name (group prefixes applied), interpolated value, and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub key: String,
    pub value: Value,
    pub path: String,
    pub pos: Pos,
}

/// Parses `src` (read from `path`) and evaluates it: groups, imports through `read_file`, interpolation
/// from earlier settings and `env`. Later bindings of a key override earlier ones.
pub fn evaluate(
    path: &str,
    src: &str,
    env: &BTreeMap<String, String>,
    read_file: &dyn Fn(&str) -> Result<String, String>,
) -> Result<Vec<Binding>, ConfigError> {
    let directives = parse(src).map_err(|e| syntax_error(path, e.pos, e.message))?;
    let mut eval = Evaluator {
        env,
        read_file,
        bound: BTreeMap::new(),
        out: Vec::new(),
    };
    for d in &directives {
        eval.apply("", path, d, 0)?;
    }
    Ok(eval.out)
}

fn syntax_error(path: &str, pos: Pos, message: String) -> ConfigError {
    ConfigError::Syntax {
        path: path.to_owned(),
        line: pos.line,
        column: pos.column,
        message,
    }
}

struct Evaluator<'a> {
    env: &'a BTreeMap<String, String>,
    read_file: &'a dyn Fn(&str) -> Result<String, String>,
    /// Settings so far, for `$(name)` lookups.
    bound: BTreeMap<String, Value>,
    out: Vec<Binding>,
}

impl Evaluator<'_> {
    fn apply(&mut self, prefix: &str, path: &str, d: &Directive, depth: u32) -> Result<(), ConfigError> {
        match d {
            Directive::Bind {
                key,
                value,
                pos,
                value_pos,
            } => {
                let key = format!("{prefix}{key}");
                let value = match value {
                    Value::String(s) => Value::String(
                        self.interpolate(prefix, s)
                            .map_err(|m| syntax_error(path, *value_pos, m))?,
                    ),
                    other => other.clone(),
                };
                self.bound.insert(key.clone(), value.clone());
                self.out.push(Binding {
                    key,
                    value,
                    path: path.to_owned(),
                    pos: *pos,
                });
            }
            Directive::Group { key, body } => {
                let prefix = format!("{prefix}{key}.");
                for d in body {
                    self.apply(&prefix, path, d, depth)?;
                }
            }
            Directive::Import { path: target, pos } => {
                if depth >= MAX_IMPORT_DEPTH {
                    return Err(syntax_error(
                        path,
                        *pos,
                        format!("imports nested more than {MAX_IMPORT_DEPTH} deep (an import cycle?)"),
                    ));
                }
                let target = relativize(path, target);
                let src = (self.read_file)(&target).map_err(|reason| {
                    syntax_error(path, *pos, format!("cannot import \"{target}\": {reason}"))
                })?;
                let directives = parse(&src).map_err(|e| syntax_error(&target, e.pos, e.message))?;
                for d in &directives {
                    self.apply(prefix, &target, d, depth + 1)?;
                }
            }
        }
        Ok(())
    }

    /// Replaces `$(name)` and `$$` in an (already unescaped) string.
    fn interpolate(&self, prefix: &str, s: &str) -> Result<String, String> {
        if !s.contains('$') {
            return Ok(s.to_owned());
        }
        let mut out = String::with_capacity(s.len());
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c != '$' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('$') => out.push('$'),
                Some('(') => {
                    let mut name = String::new();
                    let mut closed = false;
                    for c in chars.by_ref() {
                        if c == ')' {
                            closed = true;
                            break;
                        }
                        name.push(c);
                    }
                    if !closed || name.is_empty() {
                        return Err(
                            "\"$(\" must be followed by a name and \")\"; write $$ for a literal $".into(),
                        );
                    }
                    out.push_str(&self.lookup(prefix, &name)?);
                }
                _ => {
                    return Err(
                        "a lone '$' in a string: write $$ for a literal $, or $(NAME) to interpolate".into(),
                    )
                }
            }
        }
        Ok(out)
    }

    /// An earlier setting (innermost group first), else an environment variable.
    fn lookup(&self, prefix: &str, name: &str) -> Result<String, String> {
        let segments: Vec<&str> = prefix.split('.').filter(|s| !s.is_empty()).collect();
        for n in (0..=segments.len()).rev() {
            let mut full = segments.get(..n).unwrap_or(&[]).join(".");
            if !full.is_empty() {
                full.push('.');
            }
            full.push_str(name);
            match self.bound.get(&full) {
                Some(Value::String(s)) => return Ok(s.clone()),
                Some(Value::Number(n)) => return Ok(render_number(n)),
                Some(_) => return Err(format!("variable '{name}' is not a string or number")),
                None => {}
            }
        }
        self.env.get(name).cloned().ok_or_else(|| {
            format!("no such variable: '{name}' (neither an earlier setting nor an environment variable)")
        })
    }
}

/// A number as interpolation shows it: integers in decimal, others as floating point.
fn render_number(lexeme: &str) -> String {
    match crate::number::integer(lexeme) {
        Ok(n) if i64::try_from(n).is_ok() => n.to_string(),
        _ => lexeme
            .parse::<f64>()
            .map(|f| f.to_string())
            .unwrap_or_else(|_| lexeme.to_owned()),
    }
}

/// An import path relative to the importing file's directory, unless absolute.
fn relativize(parent: &str, child: &str) -> String {
    if child.starts_with('/') {
        return child.to_owned();
    }
    match parent.rfind('/') {
        Some(i) => format!("{}{child}", parent.get(..=i).unwrap_or("")),
        None => child.to_owned(),
    }
}
