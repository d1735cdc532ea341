//! Property tests: the parser and loader never panic, and dumps of arbitrary strings read back.

use proptest::prelude::*;
use restgres_config::syntax::{evaluate, parse};
use restgres_config::{dump, AppConfig};

use crate::common::{env, load, read_file, PATH};

/// Text made mostly of the characters the grammar cares about, so generated inputs get deep into it.
fn config_like() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("a".to_owned()),
            Just("db-pool".to_owned()),
            Just(" = ".to_owned()),
            Just("\"".to_owned()),
            Just("\\".to_owned()),
            Just("\\u".to_owned()),
            Just("d83d".to_owned()),
            Just("$(".to_owned()),
            Just("$".to_owned()),
            Just(")".to_owned()),
            Just("HOME".to_owned()),
            Just("#".to_owned()),
            Just("#;".to_owned()),
            Just("\n".to_owned()),
            Just("\r".to_owned()),
            Just("{".to_owned()),
            Just("}".to_owned()),
            Just("[".to_owned()),
            Just("]".to_owned()),
            Just(",".to_owned()),
            Just(".".to_owned()),
            Just("-1.5e3".to_owned()),
            Just("99999999999999999999999999999999999999999".to_owned()),
            Just("true".to_owned()),
            Just("import \"other.conf\"".to_owned()),
            Just("é日😀".to_owned()),
            any::<char>().prop_map(String::from),
        ],
        0..60,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #[test]
    fn parser_never_panics_on_arbitrary_text(input in any::<String>()) {
        let _ = parse(&input);
        let _ = evaluate(PATH, &input, &env(&[]), &read_file);
    }

    #[test]
    fn loader_never_panics_on_config_like_text(input in config_like()) {
        let _ = load(&input);
    }

    #[test]
    fn error_positions_are_inside_the_input(input in config_like()) {
        if let Err(e) = parse(&input) {
            let lines = input.split('\n').count() as u32;
            prop_assert!(e.pos.line >= 1 && e.pos.line <= lines, "{e:?}");
            prop_assert!(e.pos.column >= 1);
        }
    }

    #[test]
    fn any_string_value_survives_dump_and_load(s in "\\PC+|[\"\\\\$\n\t\r\u{0}-\u{1f}]+") {
        // Not jwt-secret or db-uri: a leading '@' there means "read this file", on reload as in PostgREST.
        let config = AppConfig {
            db_anon_role: Some(s.clone()),
            server_trace_header: Some(s.clone()),
            app_settings: vec![("app.settings.x".into(), s.clone())],
            ..AppConfig::default()
        };
        let back = load(&dump(&config));
        prop_assert_eq!(back, Ok(config));
    }
}
