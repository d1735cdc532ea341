//! The requests the suite measures, as issue 9 lists them.

use crate::dataset::TOKEN;

/// One kind of request, sent again and again.
#[derive(Debug, Clone)]
pub struct Workload {
    pub name: &'static str,
    pub method: &'static str,
    pub path: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<&'static str>,
    /// The status every answer must have (anything else counts as an error).
    pub status: u16,
}

pub fn all() -> Vec<Workload> {
    let get = |name, path| Workload {
        name,
        method: "GET",
        path,
        headers: Vec::new(),
        body: None,
        status: 200,
    };
    let json = ("Content-Type", "application/json".to_string());
    vec![
        get("single row by primary key", "/books?id=eq.4242"),
        get(
            "100 rows, filtered and ordered",
            "/books?select=id,title,price,published&published=gte.1990&pages=lt.600&order=price.desc,id&limit=100",
        ),
        get(
            "1,000 rows",
            "/books?select=id,title,author_id,published,pages,price&order=id&limit=1000",
        ),
        get(
            "books with their author (25)",
            "/books?select=id,title,authors(name,country)&order=id&limit=25",
        ),
        get(
            "authors with their books (10)",
            "/authors?select=id,name,books(id,title)&order=id&limit=10",
        ),
        get("rpc: set-returning function", "/rpc/books_by_author?author=42"),
        Workload {
            name: "insert one row, return=representation",
            method: "POST",
            path: "/reviews",
            headers: vec![json.clone(), ("Prefer", "return=representation".to_string())],
            body: Some(r#"{"book_id": 17, "rating": 4, "body": "a fine read"}"#),
            status: 201,
        },
        Workload {
            name: "patch one row",
            method: "PATCH",
            path: "/books?id=eq.77",
            headers: vec![json],
            body: Some(r#"{"price": 12.5}"#),
            status: 204,
        },
        Workload {
            headers: vec![("Prefer", "count=exact".to_string())],
            status: 206,
            ..get("count=exact", "/books?select=id,title&published=gte.2000&order=id&limit=10")
        },
        Workload {
            headers: vec![("Authorization", format!("Bearer {TOKEN}"))],
            ..get("authenticated read (JWT)", "/books?id=eq.4242")
        },
    ]
}
