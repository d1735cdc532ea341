//! Fuzzes the config-file syntax and the whole loader with arbitrary UTF-8: they must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else { return };
    let _ = restgres_config::syntax::parse(input);
    let env: BTreeMap<String, String> = [("HOME".to_string(), "/root".to_string())].into();
    // Files named in `@path` values and imports read back the input itself, so nesting is fuzzed too.
    let read = |_: &str| -> Result<String, String> { Ok(input.to_string()) };
    if let Ok(config) = restgres_config::load(Some(("fuzz.conf", input)), &env, &read) {
        let _ = restgres_config::dump(&config);
    }
});
