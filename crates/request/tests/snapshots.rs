//! Snapshots where the full structure is clearer than a one-line form: the AST of a realistic
//! request, and the error bodies (message and details) of common mistakes.

use restgres_request::query::*;
use restgres_request::RequestError;

#[test]
fn realistic_request_ast() {
    let raw = "select=id,title,director:directors!inner(id,last_name),actors(*,roles(character)),\
               total:budget.sum()::int,data->meta->>tag&rating=gte.4&actors.order=last_name.desc.nullslast\
               &or=(year.lt.1990,and(genre.in.(drama,%22sci-fi%22),title.not.ilike.*star*))\
               &actors.limit=3&limit=10&offset=20&order=year.desc,directors(last_name)";
    insta::assert_debug_snapshot!(parse_query_string(raw));
}

#[test]
fn common_mistakes_error_bodies() {
    let cases = [
        "id=1",
        "id=eq",
        "id=equals.1",
        "name=like(some).x",
        "select=id,clients(name",
        "select=id,,name",
        "select=name!hint",
        "order=id.up",
        "or=(id.eq.1,name.eq.x",
        "or=id.eq.1)",
        "and=(id.in.1,2)",
        "or=(not.title.ilike.*star*,id.eq.1)",
        "tags=cs.{a,b}&limit=-5",
        "columns=",
    ];
    let bodies: Vec<(String, Result<(), RequestError>)> = cases
        .iter()
        .map(|c| (c.to_string(), parse_query_string(c).map(|_| ())))
        .collect();
    insta::assert_debug_snapshot!(bodies);
}
