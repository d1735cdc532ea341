//! A small parser core with Parsec's semantics, so that PGRST100 errors carry PostgREST's exact text.
//!
//! PostgREST parses the query string with Parsec, and its error bodies expose Parsec's error report:
//! the position of the furthest failure (`(line 1, column 5)`) and the merged `unexpected ...
//! expecting ...` lists. Those depend on Parsec's rules: a parser that failed after consuming input
//! stops `<|>` from trying alternatives (unless wrapped in `try`), errors of alternatives that failed
//! without consuming input are merged keeping the furthest position, `<?>` replaces the expected
//! items of a parser that consumed nothing, and an optional parser that succeeded without consuming
//! input still carries its error as a hint for the next failure. General-purpose combinator crates
//! (winnow included) backtrack and report differently, so the URL grammar is written on this core;
//! the header grammars, whose errors are never shown, use winnow.
//!
//! Every parser restores the position to where it started when it fails.
//!
//! Parsec's control flow depends only on whether a parser consumed input and whether it failed, never on
//! its messages. So a query is parsed first without collecting messages (no allocation per failed
//! alternative), and only a failed parse runs again collecting them, for the error report.

use crate::haskell::{show_char, show_string};
use crate::RequestError;

/// Deepest nesting of embeds or logic trees accepted, so that hostile input cannot exhaust the stack.
pub(crate) const MAX_DEPTH: usize = 100;

/// A token as an error report names it (rendered only when an error is reported).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    /// `""`, shown as "end of input".
    End,
    /// A char shown as a Haskell string (`"x"`).
    Char(char),
}

/// Something expected, kept symbolic so that failing alternatives cost no allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exp {
    /// A `<?>` label, as written.
    Label(&'static str),
    /// A literal, shown as a Haskell string (`"->>"`).
    Literal(&'static str),
    /// A char literal, shown as a Haskell string (`"("`).
    Char(char),
}

/// One item of a Parsec error report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Msg {
    /// A token that the parser did not expect.
    SysUnExpect(Tok),
    /// An unexpected char reported by `notFollowedBy`/`eof` (shown as a Haskell char, `'x'`).
    UnExpect(char),
    /// Something the parser expected.
    Expect(Exp),
    /// A free-form message.
    Message(String),
}

impl Msg {
    fn rank(&self) -> u8 {
        match self {
            Msg::SysUnExpect(_) => 0,
            Msg::UnExpect(_) => 1,
            Msg::Expect(_) => 2,
            Msg::Message(_) => 3,
        }
    }

    /// Parsec's `messageString`.
    fn text(&self) -> String {
        match self {
            Msg::SysUnExpect(Tok::End) => String::new(),
            Msg::SysUnExpect(Tok::Char(c)) | Msg::Expect(Exp::Char(c)) => show_string(&c.to_string()),
            Msg::UnExpect(c) => show_char(*c),
            Msg::Expect(Exp::Label(l)) => (*l).to_owned(),
            Msg::Expect(Exp::Literal(l)) => show_string(l),
            Msg::Message(m) => m.clone(),
        }
    }
}

/// A Parsec `ParseError`: a position (index in chars) and messages. No messages means "unknown".
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PErr {
    pub(crate) pos: usize,
    pub(crate) msgs: Vec<Msg>,
}

impl PErr {
    pub(crate) fn unknown(pos: usize) -> PErr {
        PErr {
            pos,
            msgs: Vec::new(),
        }
    }

    /// An error with one message, kept only when the parse collects messages.
    fn new(st: &St, pos: usize, msg: Msg) -> PErr {
        PErr::with(st, pos, || vec![msg])
    }

    fn with(st: &St, pos: usize, msgs: impl FnOnce() -> Vec<Msg>) -> PErr {
        PErr {
            pos,
            msgs: if st.track { msgs() } else { Vec::new() },
        }
    }

    fn is_unknown(&self) -> bool {
        self.msgs.is_empty()
    }

    /// Parsec's `mergeError`: prefer a meaningful error, then the furthest one; equal positions merge.
    fn merge(mut self, other: PErr) -> PErr {
        if other.msgs.is_empty() && !self.msgs.is_empty() {
            self
        } else if self.msgs.is_empty() && !other.msgs.is_empty() {
            other
        } else {
            match self.pos.cmp(&other.pos) {
                std::cmp::Ordering::Equal => {
                    self.msgs.extend(other.msgs);
                    self
                }
                std::cmp::Ordering::Greater => self,
                std::cmp::Ordering::Less => other,
            }
        }
    }

    /// The merge done by `>>=` when the second parser consumed nothing.
    fn merge_after(self, other: PErr) -> PErr {
        if self.is_unknown() {
            other
        } else {
            self.merge(other)
        }
    }

    /// `<?>`: drop the expected items and put the label first.
    fn set_expect(mut self, label: Exp) -> PErr {
        self.msgs.retain(|m| !matches!(m, Msg::Expect(_)));
        self.msgs.insert(0, Msg::Expect(label));
        self
    }
}

/// A success: the value, whether input was consumed, and the error hint carried forward.
pub(crate) struct Okay<T> {
    pub(crate) v: T,
    pub(crate) consumed: bool,
    pub(crate) err: PErr,
}

/// A failure, and whether input was consumed before it.
#[derive(Debug)]
pub(crate) struct Fail {
    pub(crate) consumed: bool,
    pub(crate) err: PErr,
}

pub(crate) type R<T> = Result<Okay<T>, Fail>;

/// The parser state: the input as chars (columns count chars) and the position.
pub(crate) struct St<'a> {
    chars: &'a [char],
    pub(crate) pos: usize,
    pub(crate) depth: usize,
    /// Collect error messages (the second run of a failed parse).
    track: bool,
}

impl<'a> St<'a> {
    pub(crate) fn new(chars: &'a [char]) -> St<'a> {
        St {
            chars,
            pos: 0,
            depth: 0,
            track: true,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }
}

/// Runs the steps of a `do` block, merging errors as Parsec's `>>=` does.
pub(crate) struct Seq {
    start: usize,
    consumed: bool,
    err: PErr,
}

impl Seq {
    pub(crate) fn new(st: &St) -> Seq {
        Seq {
            start: st.pos,
            consumed: false,
            err: PErr::unknown(st.pos),
        }
    }

    pub(crate) fn run<T>(&mut self, st: &mut St, p: impl FnOnce(&mut St) -> R<T>) -> Result<T, Fail> {
        match p(st) {
            Ok(o) => {
                if o.consumed {
                    self.consumed = true;
                    self.err = o.err;
                } else {
                    let prev = std::mem::replace(&mut self.err, PErr::unknown(0));
                    self.err = prev.merge_after(o.err);
                }
                Ok(o.v)
            }
            Err(f) => {
                st.pos = self.start;
                let err = if f.consumed {
                    f.err
                } else {
                    std::mem::replace(&mut self.err, PErr::unknown(0)).merge_after(f.err)
                };
                Err(Fail {
                    consumed: self.consumed || f.consumed,
                    err,
                })
            }
        }
    }

    pub(crate) fn done<T>(self, v: T) -> R<T> {
        Ok(Okay {
            v,
            consumed: self.consumed,
            err: self.err,
        })
    }
}

pub(crate) fn map<T, U>(r: R<T>, f: impl FnOnce(T) -> U) -> R<U> {
    r.map(|o| Okay {
        v: f(o.v),
        consumed: o.consumed,
        err: o.err,
    })
}

/// `return v`
pub(crate) fn pure<T>(st: &St, v: T) -> R<T> {
    Ok(Okay {
        v,
        consumed: false,
        err: PErr::unknown(st.pos),
    })
}

/// `mzero` (what `guard False` does).
pub(crate) fn zero<T>(st: &mut St) -> R<T> {
    Err(Fail {
        consumed: false,
        err: PErr::unknown(st.pos),
    })
}

/// A hard failure that no alternative may recover from (used for the nesting limit).
pub(crate) fn fatal<T>(st: &St, message: String) -> R<T> {
    Err(Fail {
        consumed: true,
        err: PErr {
            pos: st.pos,
            msgs: vec![Msg::Message(message)],
        },
    })
}

/// `satisfy`: one char matching `f`.
pub(crate) fn satisfy(st: &mut St, f: impl FnOnce(char) -> bool) -> R<char> {
    match st.peek() {
        None => Err(Fail {
            consumed: false,
            err: PErr::new(st, st.pos, Msg::SysUnExpect(Tok::End)),
        }),
        Some(c) if f(c) => {
            st.pos += 1;
            Ok(Okay {
                v: c,
                consumed: true,
                err: PErr::unknown(st.pos),
            })
        }
        Some(c) => Err(Fail {
            consumed: false,
            err: PErr::new(st, st.pos, Msg::SysUnExpect(Tok::Char(c))),
        }),
    }
}

/// `char c`
pub(crate) fn char_(st: &mut St, c: char) -> R<char> {
    label_as(st, |st| satisfy(st, |x| x == c), Exp::Char(c))
}

pub(crate) fn one_of(st: &mut St, set: &str) -> R<char> {
    satisfy(st, |c| set.contains(c))
}

pub(crate) fn none_of(st: &mut St, set: &str) -> R<char> {
    satisfy(st, |c| !set.contains(c))
}

pub(crate) fn any_char(st: &mut St) -> R<char> {
    satisfy(st, |_| true)
}

/// `letter`: Haskell's `isAlpha` (Unicode letters).
pub(crate) fn letter(st: &mut St) -> R<char> {
    label(st, |st| satisfy(st, char::is_alphabetic), "letter")
}

/// `digit`: ASCII digits only.
pub(crate) fn digit(st: &mut St) -> R<char> {
    label(st, |st| satisfy(st, |c| c.is_ascii_digit()), "digit")
}

/// `string s`: fails at its start position, consuming if the first char matched.
pub(crate) fn string(st: &mut St, s: &'static str) -> R<()> {
    let start = st.pos;
    for (i, expected) in s.chars().enumerate() {
        match st.peek_at(i) {
            Some(c) if c == expected => {}
            found => {
                let unexpected = found.map_or(Tok::End, Tok::Char);
                return Err(Fail {
                    consumed: i > 0,
                    err: PErr::with(st, start, || {
                        vec![Msg::Expect(Exp::Literal(s)), Msg::SysUnExpect(unexpected)]
                    }),
                });
            }
        }
    }
    let n = s.chars().count();
    st.pos += n;
    Ok(Okay {
        v: (),
        consumed: n > 0,
        err: PErr::unknown(st.pos),
    })
}

/// `p <?> label`
pub(crate) fn label<T>(st: &mut St, p: impl FnOnce(&mut St) -> R<T>, name: &'static str) -> R<T> {
    label_as(st, p, Exp::Label(name))
}

fn label_as<T>(st: &mut St, p: impl FnOnce(&mut St) -> R<T>, name: Exp) -> R<T> {
    if !st.track {
        return p(st);
    }
    match p(st) {
        Ok(o) if !o.consumed => {
            let err = if o.err.is_unknown() {
                o.err
            } else {
                o.err.set_expect(name)
            };
            Ok(Okay { err, ..o })
        }
        Err(f) if !f.consumed => Err(Fail {
            consumed: false,
            err: f.err.set_expect(name),
        }),
        other => other,
    }
}

/// `try p`
pub(crate) fn attempt<T>(st: &mut St, p: impl FnOnce(&mut St) -> R<T>) -> R<T> {
    p(st).map_err(|f| Fail {
        consumed: false,
        err: f.err,
    })
}

/// `p <|> q`
pub(crate) fn alt<T>(st: &mut St, p: impl FnOnce(&mut St) -> R<T>, q: impl FnOnce(&mut St) -> R<T>) -> R<T> {
    match p(st) {
        Err(f) if !f.consumed => match q(st) {
            Ok(o) if !o.consumed => Ok(Okay {
                err: f.err.merge(o.err),
                ..o
            }),
            Err(g) if !g.consumed => Err(Fail {
                consumed: false,
                err: f.err.merge(g.err),
            }),
            other => other,
        },
        other => other,
    }
}

/// `many p`
pub(crate) fn many<T>(st: &mut St, mut p: impl FnMut(&mut St) -> R<T>) -> R<Vec<T>> {
    let start = st.pos;
    let mut acc = Vec::new();
    let mut consumed = false;
    loop {
        match p(st) {
            Ok(o) if o.consumed => {
                acc.push(o.v);
                consumed = true;
            }
            // Parsec aborts on a parser that succeeds without consuming; stopping is the safe reading.
            Ok(o) => {
                return Ok(Okay {
                    v: acc,
                    consumed,
                    err: o.err,
                })
            }
            Err(f) if f.consumed => {
                st.pos = start;
                return Err(f);
            }
            Err(f) => {
                return Ok(Okay {
                    v: acc,
                    consumed,
                    err: f.err,
                })
            }
        }
    }
}

/// `many1 p`
pub(crate) fn many1<T>(st: &mut St, mut p: impl FnMut(&mut St) -> R<T>) -> R<Vec<T>> {
    let mut s = Seq::new(st);
    let first = s.run(st, &mut p)?;
    let mut rest = s.run(st, |st| many(st, &mut p))?;
    rest.insert(0, first);
    s.done(rest)
}

/// `optionMaybe p`
pub(crate) fn opt<T>(st: &mut St, p: impl FnOnce(&mut St) -> R<T>) -> R<Option<T>> {
    alt(st, |st| map(p(st), Some), |st| pure(st, None))
}

/// `option x p`
pub(crate) fn option<T>(st: &mut St, default: T, p: impl FnOnce(&mut St) -> R<T>) -> R<T> {
    alt(st, p, |st| pure(st, default))
}

/// `sepBy1 p sep`
pub(crate) fn sep_by1<T, S>(
    st: &mut St,
    mut p: impl FnMut(&mut St) -> R<T>,
    mut sep: impl FnMut(&mut St) -> R<S>,
) -> R<Vec<T>> {
    let mut s = Seq::new(st);
    let first = s.run(st, &mut p)?;
    let mut rest = s.run(st, |st| {
        many(st, |st| {
            let mut s = Seq::new(st);
            s.run(st, &mut sep)?;
            let v = s.run(st, &mut p)?;
            s.done(v)
        })
    })?;
    rest.insert(0, first);
    s.done(rest)
}

/// `sepBy p sep`
pub(crate) fn sep_by<T, S>(
    st: &mut St,
    p: impl FnMut(&mut St) -> R<T>,
    sep: impl FnMut(&mut St) -> R<S>,
) -> R<Vec<T>> {
    alt(st, |st| sep_by1(st, p, sep), |st| pure(st, Vec::new()))
}

/// `between open close p`
pub(crate) fn between<T, A, B>(
    st: &mut St,
    open: impl FnOnce(&mut St) -> R<A>,
    close: impl FnOnce(&mut St) -> R<B>,
    p: impl FnOnce(&mut St) -> R<T>,
) -> R<T> {
    let mut s = Seq::new(st);
    s.run(st, open)?;
    let v = s.run(st, p)?;
    s.run(st, close)?;
    s.done(v)
}

/// `lookAhead p`
pub(crate) fn look_ahead<T>(st: &mut St, p: impl FnOnce(&mut St) -> R<T>) -> R<T> {
    let start = st.pos;
    match p(st) {
        Ok(o) => {
            st.pos = start;
            Ok(Okay {
                v: o.v,
                consumed: false,
                err: PErr::unknown(start),
            })
        }
        Err(f) => Err(f),
    }
}

/// `notFollowedBy p` for a char parser; the unexpected char is reported after itself, as Parsec does.
pub(crate) fn not_followed_by(st: &mut St, p: impl FnOnce(&mut St) -> R<char>) -> R<()> {
    let start = st.pos;
    match p(st) {
        Ok(o) => {
            let after = st.pos;
            st.pos = start;
            Err(Fail {
                consumed: false,
                err: PErr::new(st, after, Msg::UnExpect(o.v)),
            })
        }
        Err(f) => Ok(Okay {
            v: (),
            consumed: false,
            err: f.err,
        }),
    }
}

/// `eof`
pub(crate) fn eof(st: &mut St) -> R<()> {
    let expect = Msg::Expect(Exp::Label("end of input"));
    match st.peek() {
        None => Ok(Okay {
            v: (),
            consumed: false,
            err: PErr::with(st, st.pos, || vec![expect, Msg::SysUnExpect(Tok::End)]),
        }),
        Some(c) => Err(Fail {
            consumed: false,
            err: PErr::with(st, st.pos, || vec![expect, Msg::UnExpect(c)]),
        }),
    }
}

/// Runs `p` on `input` like `Parsec.parse p name input` (no implicit end-of-input check) and turns a
/// failure into PostgREST's PGRST100 error, named by `name` (built only then).
pub(crate) fn run<T>(
    name: impl FnOnce() -> String,
    input: &str,
    mut p: impl FnMut(&mut St) -> R<T>,
) -> Result<T, RequestError> {
    let chars: Vec<char> = input.chars().collect();
    let mut st = St::new(&chars);
    st.track = false;
    if let Ok(o) = p(&mut st) {
        return Ok(o.v);
    }
    // Failed: the same parse again, collecting the messages of the report.
    let mut st = St::new(&chars);
    match p(&mut st) {
        Ok(o) => Ok(o.v),
        Err(f) => Err(to_request_error(&name(), &chars, f.err)),
    }
}

/// `run` with messages collected from the start (one pass): what the two passes must agree with.
#[cfg(test)]
pub(crate) fn run_tracked<T>(
    name: impl FnOnce() -> String,
    input: &str,
    p: impl FnOnce(&mut St) -> R<T>,
) -> Result<T, RequestError> {
    let chars: Vec<char> = input.chars().collect();
    let mut st = St::new(&chars);
    match p(&mut st) {
        Ok(o) => Ok(o.v),
        Err(f) => Err(to_request_error(&name(), &chars, f.err)),
    }
}

/// Parsec's `SourcePos` for an index: tabs move to the next multiple of 8, newlines start a line.
fn line_column(chars: &[char], pos: usize) -> (usize, usize) {
    let (mut line, mut column) = (1usize, 1usize);
    for &c in chars.iter().take(pos) {
        match c {
            '\n' => {
                line += 1;
                column = 1;
            }
            '\t' => column = column + 8 - ((column - 1) % 8),
            _ => column += 1,
        }
    }
    (line, column)
}

fn to_request_error(name: &str, chars: &[char], err: PErr) -> RequestError {
    let (line, column) = line_column(chars, err.pos);
    let message = format!("\"{name}\" (line {line}, column {column})");
    let details = show_error_messages(err.msgs).replace('\n', " ").trim().to_owned();
    RequestError::Parse { message, details }
}

/// `nub . filter (not . null)`
fn clean(items: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items {
        if !item.is_empty() && !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

fn commas_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", clean(init.to_vec()).join(", ")),
    }
}

fn show_many(prefix: &str, msgs: &[Msg]) -> String {
    let items = clean(msgs.iter().map(Msg::text).collect());
    if items.is_empty() {
        String::new()
    } else if prefix.is_empty() {
        commas_or(&items)
    } else {
        format!("{prefix} {}", commas_or(&items))
    }
}

/// Parsec's `showErrorMessages "or" "unknown parse error" "expecting" "unexpected" "end of input"`.
fn show_error_messages(mut msgs: Vec<Msg>) -> String {
    if msgs.is_empty() {
        return "unknown parse error".to_owned();
    }
    // A stable sort on the kind only, as Parsec's `Ord Message` compares constructors.
    msgs.sort_by_key(Msg::rank);
    let of_rank = |r: u8| msgs.iter().filter(|m| m.rank() == r).cloned().collect::<Vec<_>>();
    let (sys, unexpected, expected, messages) = (of_rank(0), of_rank(1), of_rank(2), of_rank(3));
    let show_sys = match sys.first() {
        Some(first) if unexpected.is_empty() => {
            let text = first.text();
            if text.is_empty() {
                "unexpected end of input".to_owned()
            } else {
                format!("unexpected {text}")
            }
        }
        _ => String::new(),
    };
    let parts = clean(vec![
        show_sys,
        show_many("unexpected", &unexpected),
        show_many("expecting", &expected),
        show_many("", &messages),
    ]);
    parts.iter().map(|p| format!("\n{p}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_follow_parsec() {
        let chars: Vec<char> = "a\tb\ncd".chars().collect();
        assert_eq!(line_column(&chars, 0), (1, 1));
        assert_eq!(line_column(&chars, 1), (1, 2));
        assert_eq!(line_column(&chars, 2), (1, 9));
        assert_eq!(line_column(&chars, 4), (2, 1));
        assert_eq!(line_column(&chars, 5), (2, 2));
    }

    #[test]
    fn error_text_follows_parsec() {
        let msgs = vec![
            Msg::SysUnExpect(Tok::Char('c')),
            Msg::Expect(Exp::Label("delimiter (.)")),
            Msg::Expect(Exp::Char(',')),
            Msg::UnExpect('c'),
            Msg::Expect(Exp::Label("end of input")),
            Msg::Expect(Exp::Literal(",")),
        ];
        assert_eq!(
            show_error_messages(msgs).replace('\n', " ").trim(),
            "unexpected 'c' expecting delimiter (.), \",\" or end of input"
        );
        assert_eq!(
            show_error_messages(vec![Msg::SysUnExpect(Tok::End)]).trim(),
            "unexpected end of input"
        );
        assert_eq!(show_error_messages(vec![]), "unknown parse error");
    }
}
