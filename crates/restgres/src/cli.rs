//! Command-line arguments, as PostgREST's CLI takes them, plus `--demo`.

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Help,
    Version,
    Example,
    /// `--dump-config`, with the config file if given.
    DumpConfig(Option<String>),
    /// `--dump-schema`: connect, load the schema cache, print it as JSON.
    DumpSchema(Option<String>),
    /// `--ready`: ask the admin server's `/ready` of the instance the configuration describes.
    Ready(Option<String>),
    /// Serve with the config file if given.
    Serve(Option<String>),
    /// `--demo [--demo-db-uri URI]`
    Demo(Option<String>),
}

pub const USAGE: &str = "\
Usage: restgres [-v|--version] [-e|--example] [--dump-config | --dump-schema | --ready]
                [FILENAME]
       restgres --demo [--demo-db-uri URI]

  restgres: a PostgREST-compatible REST API for PostgreSQL databases

Available options:
  -h,--help                Show this help text
  -v,--version             Show the version
  -e,--example             Show an example configuration file
  --dump-config            Dump the loaded configuration
  --dump-schema            Dump the loaded schema cache as JSON and exit (for debugging,
                           the structure is not stable)
  --ready                  Check the health of a running instance with the same
                           configuration through its admin server's /ready endpoint
                           (exit code 0 when ready, 1 otherwise)
  --demo                   Create the demo database on the local PostgreSQL and serve it on port 3000
  --demo-db-uri URI        The PostgreSQL server for --demo
                           (default postgres://postgres@127.0.0.1:5432/postgres,
                           or the RESTGRES_DEMO_DB_URI environment variable)
  FILENAME                 Path to the configuration file; PGRST_* environment variables override it
";

/// Parses the arguments after the program name.
pub fn parse(args: &[String]) -> Result<Command, String> {
    let mut file = None;
    // At most one of --dump-config, --dump-schema and --ready.
    let mut mode: Option<fn(Option<String>) -> Command> = None;
    let mut demo = false;
    let mut demo_uri = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "-v" | "--version" => return Ok(Command::Version),
            "-e" | "--example" => return Ok(Command::Example),
            "--dump-config" | "--dump-schema" | "--ready" => {
                let command: fn(Option<String>) -> Command = match a.as_str() {
                    "--dump-config" => Command::DumpConfig,
                    "--dump-schema" => Command::DumpSchema,
                    _ => Command::Ready,
                };
                if mode.replace(command).is_some() {
                    return Err(format!("Invalid option `{a}'"));
                }
            }
            "--demo" => demo = true,
            "--demo-db-uri" => {
                demo_uri = Some(it.next().ok_or("--demo-db-uri needs a value")?.clone());
            }
            s if s.starts_with('-') && s.len() > 1 => return Err(format!("Invalid option `{s}'")),
            s => {
                if file.replace(s.to_string()).is_some() {
                    return Err(format!("Invalid argument `{s}'"));
                }
            }
        }
    }
    if demo {
        if mode.is_some() {
            return Err("--demo cannot be combined with --dump-config, --dump-schema or --ready".into());
        }
        return Ok(Command::Demo(demo_uri));
    }
    if demo_uri.is_some() {
        return Err("--demo-db-uri is only valid with --demo".into());
    }
    Ok(mode.unwrap_or(Command::Serve)(file))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Command, String> {
        parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn commands() {
        assert_eq!(p(&[]), Ok(Command::Serve(None)));
        assert_eq!(p(&["a.conf"]), Ok(Command::Serve(Some("a.conf".into()))));
        assert_eq!(p(&["--help"]), Ok(Command::Help));
        assert_eq!(p(&["-v"]), Ok(Command::Version));
        assert_eq!(p(&["-e"]), Ok(Command::Example));
        assert_eq!(
            p(&["--dump-config", "a.conf"]),
            Ok(Command::DumpConfig(Some("a.conf".into())))
        );
        assert_eq!(p(&["--demo"]), Ok(Command::Demo(None)));
        assert_eq!(
            p(&["--demo", "--demo-db-uri", "x"]),
            Ok(Command::Demo(Some("x".into())))
        );
        assert!(p(&["--nope"]).is_err());
        assert!(p(&["a", "b"]).is_err());
        assert!(p(&["--demo-db-uri"]).is_err());
        assert!(p(&["--demo-db-uri", "x"]).is_err());
    }

    #[test]
    fn dump_schema_and_ready() {
        assert_eq!(p(&["--dump-schema"]), Ok(Command::DumpSchema(None)));
        assert_eq!(
            p(&["--dump-schema", "a.conf"]),
            Ok(Command::DumpSchema(Some("a.conf".into())))
        );
        assert_eq!(
            p(&["a.conf", "--dump-schema"]),
            Ok(Command::DumpSchema(Some("a.conf".into())))
        );
        assert_eq!(p(&["--ready"]), Ok(Command::Ready(None)));
        assert_eq!(
            p(&["--ready", "a.conf"]),
            Ok(Command::Ready(Some("a.conf".into())))
        );
        // One command at a time, as PostgREST's parser takes them.
        assert_eq!(
            p(&["--ready", "--dump-schema"]),
            Err("Invalid option `--dump-schema'".into())
        );
        assert_eq!(
            p(&["--dump-config", "--ready"]),
            Err("Invalid option `--ready'".into())
        );
        assert!(p(&["--dump-schema", "--dump-schema"]).is_err());
        assert!(p(&["--demo", "--ready"]).is_err());
        assert!(p(&["--ready", "a.conf", "b.conf"]).is_err());
        assert!(p(&["--ready=1"]).is_err());
        assert!(USAGE.contains("--dump-schema") && USAGE.contains("--ready"));
    }
}
