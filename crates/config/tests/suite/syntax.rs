//! The config file syntax: values, strings, comments, groups, imports, interpolation and errors.

use restgres_config::syntax::{evaluate, Value};

use crate::common::{env, read_file, PATH};

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        Value::Number(n) => format!("#{n}"),
        Value::Bool(b) => b.to_string(),
        Value::List(items) => format!("[{}]", items.iter().map(show).collect::<Vec<_>>().join(", ")),
    }
}

/// Evaluates `input` and compares `key=value; ...` (with lines) or `error: <message>`.
#[track_caller]
fn check(input: &str, expect: &str) {
    let got = match evaluate(PATH, input, &env(&[]), &read_file) {
        Ok(bindings) => bindings
            .iter()
            .map(|b| format!("{}={}@{}", b.key, show(&b.value), b.pos.line))
            .collect::<Vec<_>>()
            .join("; "),
        Err(e) => format!("error: {e}"),
    };
    let shown: String = input.chars().take(200).collect();
    assert_eq!(got, expect, "input: {shown:?}");
}

#[test]
fn empty_and_comments() {
    check("", "");
    check("\n\n  \n", "");
    check("# only a comment", "");
    check("# comment\n\n# another\n", "");
    check("a = 1 # trailing comment", "a=#1@1");
    check("a = 1# no space before it", "a=#1@1");
    check("#; a = 1\nb = 2", "b=#2@2");
    check("#;a = \"commented out\"", "");
    check("#; b = = 1", "error: /etc/pgrst/test.conf:1:8: expected a value (a \"string\", a number, true/false or a [list]), found '='");
    check("a = \"# not a comment\"", "a=\"# not a comment\"@1");
}

#[test]
fn layout() {
    check("a = 1\nb = 2", "a=#1@1; b=#2@2");
    check("a = 1\r\nb = 2\r\n", "a=#1@1; b=#2@2");
    check("\ta\t=\t1\t", "a=#1@1");
    check("a\n=\n1", "a=#1@1");
    check("a=1", "a=#1@1");
    check("a = 1\na = 2", "a=#1@1; a=#2@2");
    check("a = 1 b = 2", "error: /etc/pgrst/test.conf:1:7: unexpected 'b' after a setting; put each setting on its own line");
}

#[test]
fn names() {
    check("db-schemas = 1", "db-schemas=#1@1");
    check("app.settings.jwt_exp = 1", "app.settings.jwt_exp=#1@1");
    check("a1_-b = 1", "a1_-b=#1@1");
    check("ключ = 1", "ключ=#1@1");
    check("= 1", "error: /etc/pgrst/test.conf:1:1: expected a setting name, found '='");
    check("1a = 1", "error: /etc/pgrst/test.conf:1:1: expected a setting name, found '1'");
    check("a. = 1", "error: /etc/pgrst/test.conf:1:3: a setting name must not end with '.'; expected a letter");
    check("a..b = 1", "error: /etc/pgrst/test.conf:1:3: a setting name must not end with '.'; expected a letter");
    check("a", "error: /etc/pgrst/test.conf:1:2: expected '=' after \"a\", found the end of the file");
    check("a : 1", "error: /etc/pgrst/test.conf:1:3: expected '=' after \"a\", found ':'");
    check("import = 1", "error: /etc/pgrst/test.conf:1:1: \"import\" is reserved and cannot be a setting name");
    check("imports = 1", "imports=#1@1");
    check("#;", "error: /etc/pgrst/test.conf:1:3: expected a setting name, found the end of the file");
}

#[test]
fn numbers() {
    check("a = 0", "a=#0@1");
    check("a = -1", "a=#-1@1");
    check("a = +2", "a=#+2@1");
    check("a = 1.5", "a=#1.5@1");
    check("a = -1.5e3", "a=#-1.5e3@1");
    check("a = 1E-2", "a=#1E-2@1");
    check("a = 123456789012345678901234567890123456789012345", "a=#123456789012345678901234567890123456789012345@1");
    check("a = 1.", "error: /etc/pgrst/test.conf:1:6: unexpected '.' after a setting; put each setting on its own line");
    check("a = 1e", "error: /etc/pgrst/test.conf:1:6: unexpected 'e' after a setting; put each setting on its own line");
    check("a = 0x10", "error: /etc/pgrst/test.conf:1:6: unexpected 'x' after a setting; put each setting on its own line");
    check("a = .5", "error: /etc/pgrst/test.conf:1:5: expected a value (a \"string\", a number, true/false or a [list]), found '.'");
    check("a = -", "error: /etc/pgrst/test.conf:1:6: expected a digit");
}

#[test]
fn booleans_and_words() {
    check("a = true", "a=true@1");
    check("a = false", "a=false@1");
    check("a = on", "a=true@1");
    check("a = off", "a=false@1");
    check("a = yes", "error: /etc/pgrst/test.conf:1:5: unexpected word \"yes\": strings must be in double quotes, booleans are true/false/on/off");
    check("a = TRUE", "error: /etc/pgrst/test.conf:1:5: unexpected word \"TRUE\": strings must be in double quotes, booleans are true/false/on/off");
    check("a = true1", "error: /etc/pgrst/test.conf:1:5: unexpected word \"true1\": strings must be in double quotes, booleans are true/false/on/off");
    check("a = ", "error: /etc/pgrst/test.conf:1:5: expected a value, found the end of the file");
    check("a = 'single'", "error: /etc/pgrst/test.conf:1:5: expected a value (a \"string\", a number, true/false or a [list]), found '''");
}

#[test]
fn lists() {
    check("a = []", "a=[]@1");
    check("a = [1, \"b\", [true]]", "a=[#1, \"b\", [true]]@1");
    check("a = [\n  1,\n  2 # two\n]", "a=[#1, #2]@1");
    check("a = [1, 2", "error: /etc/pgrst/test.conf:1:10: unterminated list: expected ']'");
    check("a = [1,]", "error: /etc/pgrst/test.conf:1:8: expected a value (a \"string\", a number, true/false or a [list]), found ']'");
    check("a = [1 2]", "error: /etc/pgrst/test.conf:1:9: expected ',' or ']' in a list, found '2'");
}

#[test]
fn strings() {
    check("a = \"x\"", "a=\"x\"@1");
    check("a = \"\"", "a=\"\"@1");
    check("a = \"héllo 日本 😀\"", "a=\"héllo 日本 😀\"@1");
    check("a = \"two\nlines\"\nb = 1", "a=\"two\\nlines\"@1; b=#1@3");
    check(r#"a = "q\"\\\n\t\r""#, r#"a="q\"\\\n\t\r"@1"#);
    check(r#"a = "\u00e9\u0041""#, "a=\"éA\"@1");
    check(r#"a = "\ud83d\ude00""#, "a=\"😀\"@1");
    check(r#"a = "\d""#, "error: /etc/pgrst/test.conf:1:6: invalid escape \\d in a string (valid: \\n \\t \\r \\\" \\\\ \\uXXXX)");
    check(r#"a = "\u12""#, "error: /etc/pgrst/test.conf:1:6: \\u must be followed by 4 hex digits");
    check(r#"a = "\ud83d""#, "error: /etc/pgrst/test.conf:1:6: invalid UTF-16 surrogates in \\u escape");
    check(r#"a = "\ude00""#, "error: /etc/pgrst/test.conf:1:6: invalid UTF-16 surrogates in \\u escape");
    check(r#"a = "\ud83d\u0041""#, "error: /etc/pgrst/test.conf:1:6: invalid UTF-16 surrogates in \\u escape");
    check("a = \"abc", "error: /etc/pgrst/test.conf:1:5: unterminated string: missing the closing '\"'");
    check("a = \"abc\\", "error: /etc/pgrst/test.conf:1:5: unterminated string: missing the closing '\"'");
    check("a = 1\nb = \"open\n\nc = 2", "error: /etc/pgrst/test.conf:2:5: unterminated string: missing the closing '\"'");
}

#[test]
fn interpolation() {
    check("a = \"$(HOME)/x\"", "a=\"/home/u/x\"@1");
    check("a = \"$(EMPTY)\"", "a=\"\"@1");
    check("a = \"$$HOME\"", "a=\"$HOME\"@1");
    check("a = \"$$$$\"", "a=\"$$\"@1");
    check("a = \"$$(HOME)\"", "a=\"$(HOME)\"@1");
    check("a = \"x\"\nb = \"$(a)y\"", "a=\"x\"@1; b=\"xy\"@2");
    check("n = 10\nb = \"$(n)\"", "n=#10@1; b=\"10\"@2");
    check("n = 1e3\nb = \"$(n)\"", "n=#1e3@1; b=\"1000\"@2");
    check("n = 1.5\nb = \"$(n)\"", "n=#1.5@1; b=\"1.5\"@2");
    check("HOME = \"mine\"\nb = \"$(HOME)\"", "HOME=\"mine\"@1; b=\"mine\"@2");
    check("g { x = \"in\"\n y = \"$(x)\" }", "g.x=\"in\"@1; g.y=\"in\"@2");
    check("x = \"top\"\ng { y = \"$(x)\" }", "x=\"top\"@1; g.y=\"top\"@2");
    check("t = true\nb = \"$(t)\"", "error: /etc/pgrst/test.conf:2:5: variable 't' is not a string or number");
    check("a = \"$(NOPE)\"", "error: /etc/pgrst/test.conf:1:5: no such variable: 'NOPE' (neither an earlier setting nor an environment variable)");
    check("a = \"$(b)\"\nb = \"later\"", "error: /etc/pgrst/test.conf:1:5: no such variable: 'b' (neither an earlier setting nor an environment variable)");
    check("a = \"cost: $5\"", "error: /etc/pgrst/test.conf:1:5: a lone '$' in a string: write $$ for a literal $, or $(NAME) to interpolate");
    check("a = \"$\"", "error: /etc/pgrst/test.conf:1:5: a lone '$' in a string: write $$ for a literal $, or $(NAME) to interpolate");
    check("a = \"$(HOME\"", "error: /etc/pgrst/test.conf:1:5: \"$(\" must be followed by a name and \")\"; write $$ for a literal $");
    check("a = \"$()\"", "error: /etc/pgrst/test.conf:1:5: \"$(\" must be followed by a name and \")\"; write $$ for a literal $");
    // Escapes are resolved before interpolation, as in configurator.
    check(r#"a = "\u0024(HOME)""#, "a=\"/home/u\"@1");
    // Only strings are interpolated.
    check("a = [\"$(HOME)\"]", "a=[\"$(HOME)\"]@1");
}

#[test]
fn groups() {
    check("g { x = 1 }", "g.x=#1@1");
    check("g {\n  x = 1\n  y = \"s\"\n}", "g.x=#1@2; g.y=\"s\"@3");
    check("app { settings { a = \"1\" } }", "app.settings.a=\"1\"@1");
    check("g {}", "");
    check("g { x = 1", "error: /etc/pgrst/test.conf:1:10: expected '}' to close the group \"g\"");
    check("}", "error: /etc/pgrst/test.conf:1:1: expected a setting name, found '}'");
    check("g { x = 1 } y = 2", "error: /etc/pgrst/test.conf:1:13: unexpected 'y' after a setting; put each setting on its own line");
}

#[test]
fn imports() {
    check("import \"other.conf\"", "db-pool=#7@1; app.settings.imported=\"yes\"@2");
    check("import \"/etc/pgrst/other.conf\"\ndb-pool = 8", "db-pool=#7@1; app.settings.imported=\"yes\"@2; db-pool=#8@2");
    check("g { import \"group.conf\" }", "g.x=\"in group\"@1");
    check("import \"missing.conf\"", "error: /etc/pgrst/test.conf:1:1: cannot import \"/etc/pgrst/missing.conf\": No such file or directory");
    check("import \"loop.conf\"", "error: /etc/pgrst/loop.conf:1:1: imports nested more than 16 deep (an import cycle?)");
    check("import \"bad.conf\"", "error: /etc/pgrst/bad.conf:1:11: expected a value (a \"string\", a number, true/false or a [list]), found '='");
    check("import other.conf", "error: /etc/pgrst/test.conf:1:1: \"import\" is reserved and cannot be a setting name");
}

#[test]
fn deep_nesting_is_refused_not_a_stack_overflow() {
    let lists = format!("a = {}{}", "[".repeat(100_000), "]".repeat(100_000));
    check(&lists, "error: /etc/pgrst/test.conf:1:70: nested more than 64 levels deep");
    let groups = "g { ".repeat(100_000);
    check(&groups, "error: /etc/pgrst/test.conf:1:260: nested more than 64 levels deep");
    // After "#;" a '#' starts an ordinary comment, so "#;" cannot nest at all.
    let comments = "#; ".repeat(100_000);
    check(&comments, "error: /etc/pgrst/test.conf:1:300001: expected a setting name, found the end of the file");
}
