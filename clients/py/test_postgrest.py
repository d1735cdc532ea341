"""Drives restgres with postgrest-py's sync client against the HTTP suite's fixture schema.

The fixtures are crates/restgres/tests/fixtures/*.sql. Run by the trial clients::postgrest_py, which starts a
server on a database of its own and passes its URL in RESTGRES_URL:

    RESTGRES_URL=http://127.0.0.1:3000 python test_postgrest.py

The checks run in file order on one database: the write checks see each other's rows and sequence values.
Expected values come from the fixtures' rows and PostgREST's documented behaviour. Exits 1 when any check fails.
"""

import os
import sys
import traceback

from postgrest import APIError, CountMethod, SyncPostgrestClient

URL = os.environ.get("RESTGRES_URL")
if not URL:
    sys.exit("RESTGRES_URL is not set: the URL of a restgres serving the HTTP suite fixtures")

CHECKS = []


def check(fn):
    """Registers a check; they run in definition order."""
    CHECKS.append(fn)
    return fn


def eq(actual, expected, what="value"):
    # Not a bare assert: `python -O` would drop it.
    if actual != expected:
        raise AssertionError(f"{what}:\n  expected {expected!r}\n  actual   {actual!r}")


def api_error(call):
    """Runs `call`, which must raise APIError; returns the error's JSON body."""
    try:
        result = call()
    except APIError as e:
        return e.json()
    raise AssertionError(f"expected an APIError, got a response: {result!r}")


def by(key):
    return lambda row: row[key]


# The suite serves db-schemas = "test, other"; the client sends Accept-Profile/Content-Profile: test.
# A 503 is a failure here, not something to retry for seconds.
client = SyncPostgrestClient(URL, schema="test", retry_enabled=False)


def table(name):
    return client.from_(name)


# ---- reads: columns, filters, ordering, pagination ----


@check
def select_columns_with_eq():
    res = table("items").select("id", "name", "price", "weight").eq("id", 1).execute()
    # numeric 1.50 and real 0.2 come through as PostgreSQL prints them (no float4 noise).
    eq(res.data, [{"id": 1, "name": "apple", "price": 1.5, "weight": 0.2}])


@check
def gt_with_order():
    res = table("items").select("id,qty").gt("qty", 5).order("id").execute()
    eq(res.data, [{"id": 1, "qty": 10}, {"id": 2, "qty": 100}])


@check
def in_with_a_missing_value():
    res = table("items").select("id").in_("name", ["apple", "cherry", "nope"]).order("id").execute()
    eq(res.data, [{"id": 1}, {"id": 3}])


@check
def like_and_ilike():
    res = table("items").select("name").like("name", "%rr%").order("id").execute()
    eq(res.data, [{"name": "cherry"}, {"name": "elderberry"}], "like")
    res = table("items").select("id,name").ilike("name", "APP%").execute()
    eq(res.data, [{"id": 1, "name": "apple"}], "ilike")


@check
def is_null_is_false_and_not_is_null():
    res = table("items").select("id,code").is_("code", None).execute()
    eq(res.data, [{"id": 4, "code": None}], "is null")
    res = table("items").select("id").is_("in_stock", False).order("id").execute()
    eq(res.data, [{"id": 3}, {"id": 5}], "is false")
    res = table("items").select("id").not_.is_("note", None).order("id").execute()
    eq(res.data, [{"id": 1}, {"id": 3}, {"id": 5}], "not is null")


@check
def or_and_match():
    res = table("items").select("id,name").or_("qty.gt.50,name.eq.date").order("id").execute()
    eq(res.data, [{"id": 2, "name": "banana"}, {"id": 4, "name": "date"}], "or")
    res = (
        table("items")
        .select("id")
        .or_("and(in_stock.is.true,qty.lt.50),mood.eq.sad")
        .order("id")
        .execute()
    )
    eq(res.data, [{"id": 1}, {"id": 3}], "nested or/and")
    res = table("items").select("id").match({"in_stock": True, "mood": "ok"}).execute()
    eq(res.data, [{"id": 2}], "match")


@check
def values_with_spaces_and_reserved_characters():
    # httpx sends a space in the query string as '+', which a server must read as a space.
    res = table("items").select("id").eq("note", "rare and wild").execute()
    eq(res.data, [{"id": 5}], "spaces")
    # in_() puts values with ',' or '(' in double quotes.
    res = table("strings").select("id,s").in_("s", ["a,b", "paren (x)", "with space"]).order("id").execute()
    eq(res.data, [{"id": 1, "s": "a,b"}, {"id": 4, "s": "paren (x)"}, {"id": 10, "s": "with space"}], "in")


@check
def names_with_spaces_and_non_ascii_letters():
    res = table("special names").select('id,"first name",ñandú').order("id").execute()
    eq(
        res.data,
        [{"id": 1, "first name": "Ann", "ñandú": "ave"}, {"id": 2, "first name": "Bob", "ñandú": "pájaro"}],
        "columns",
    )
    res = table("ñandú").select("nombre").order("id").execute()
    eq(res.data, [{"nombre": "Rhea americana"}, {"nombre": "Rhea pennata"}], "table")


@check
def array_contains_and_json_path():
    res = table("arrays").select("id").contains("tags", ["b"]).order("id").execute()
    eq(res.data, [{"id": 1}, {"id": 2}], "cs")
    res = table("jsondata").select("id,name:data->>name,w:data->dims->w").lte("id", 2).order("id").execute()
    eq(res.data, [{"id": 1, "name": "alpha", "w": 10}, {"id": 2, "name": "beta", "w": 3}], "json path")


@check
def full_text_search():
    res = (
        table("docs")
        .select("id")
        .text_search("tsv", "fat -rats", options={"type": "web_search", "config": "english"})
        .execute()
    )
    eq(res.data, [{"id": 4}])


@check
def order_descending_with_limit():
    res = table("items").select("id,price").order("price", desc=True).limit(2).execute()
    eq(res.data, [{"id": 3, "price": 12}, {"id": 4, "price": 7.75}])


@check
def order_nulls_first_on_two_columns():
    res = table("items").select("id").order("in_stock", nullsfirst=True).order("id", desc=True).execute()
    eq(res.data, [{"id": 4}, {"id": 5}, {"id": 3}, {"id": 2}, {"id": 1}])


@check
def range_offset_and_limit():
    res = table("items").select("id").order("id").range(1, 3).execute()
    eq(res.data, [{"id": 2}, {"id": 3}, {"id": 4}])


@check
def other_schema():
    res = client.schema("other").from_("items").select("*").order("id").execute()
    eq(res.data, [{"id": 1, "label": "other one"}, {"id": 2, "label": "other two"}])


# ---- counting ----


@check
def exact_count_with_a_limit():
    res = table("items").select("id", count=CountMethod.exact).lt("id", 4).order("id").limit(2).execute()
    eq(res.count, 3, "count")
    eq(res.data, [{"id": 1}, {"id": 2}], "data")


@check
def exact_count_with_head():
    res = table("items").select("*", count=CountMethod.exact, head=True).eq("in_stock", True).execute()
    eq(res.count, 2, "count")
    eq(res.data, [], "data of a HEAD request")


# ---- embedding ----


@check
def embed_to_one_with_alias():
    res = table("em_books").select("title,author:em_authors(name)").in_("id", [1, 5, 7]).order("id").execute()
    eq(
        res.data,
        [
            {"title": "A Wizard of Earthsea", "author": {"name": "Ursula K. Le Guin"}},
            {"title": "Kindred", "author": {"name": "Octavia Butler"}},
            {"title": "Untitled Manuscript", "author": None},
        ],
    )


@check
def embed_to_many_ordered():
    res = (
        table("em_authors")
        .select("name,em_books(title,year)")
        .eq("id", 2)
        .order("year", foreign_table="em_books")
        .execute()
    )
    eq(
        res.data,
        [
            {
                "name": "Italo Calvino",
                "em_books": [
                    {"title": "The Baron in the Trees", "year": 1957},
                    {"title": "Invisible Cities", "year": 1972},
                ],
            }
        ],
    )


@check
def or_and_limit_on_a_referenced_table():
    res = (
        table("em_authors")
        .select("name,em_books(title)")
        .eq("id", 1)
        .or_("year.lt.1969,pages.gt.1000", reference_table="em_books")
        .execute()
    )
    eq(res.data, [{"name": "Ursula K. Le Guin", "em_books": [{"title": "A Wizard of Earthsea"}]}], "or")
    res = (
        table("em_authors")
        .select("name,em_books(title)")
        .eq("id", 2)
        .order("year", desc=True, foreign_table="em_books")
        .limit(1, foreign_table="em_books")
        .execute()
    )
    eq(res.data, [{"name": "Italo Calvino", "em_books": [{"title": "Invisible Cities"}]}], "limit")


@check
def embed_many_to_many():
    res = (
        table("em_books")
        .select("title,em_tags(name)")
        .eq("id", 3)
        .order("name", foreign_table="em_tags")
        .execute()
    )
    eq(res.data, [{"title": "Invisible Cities", "em_tags": [{"name": "classic"}, {"name": "translated"}]}])


@check
def inner_embed_filtered():
    res = table("em_authors").select("name,em_books!inner(title)").eq("em_books.year", 1961).execute()
    eq(res.data, [{"name": "Stanislaw Lem", "em_books": [{"title": "Solaris"}]}])


@check
def inner_one_to_one_embed():
    res = table("em_authors").select("name,em_author_profiles!inner(bio)").order("id").execute()
    eq(
        res.data,
        [
            {"name": "Ursula K. Le Guin", "em_author_profiles": {"bio": "Wrote Earthsea"}},
            {"name": "Octavia Butler", "em_author_profiles": {"bio": "Wrote Kindred"}},
        ],
    )


# ---- representations: CSV, single, maybe_single ----


@check
def csv():
    res = table("items").select("id,name,price").lte("id", 2).order("id").csv().execute()
    eq(res.data, "id,name,price\n1,apple,1.50\n2,banana,0.25")


@check
def single_with_one_row():
    res = table("items").select("id,name").eq("id", 3).single().execute()
    eq(res.data, {"id": 3, "name": "cherry"})


@check
def single_with_several_rows():
    err = api_error(lambda: table("items").select("id").single().execute())
    eq(
        err,
        {
            "code": "PGRST116",
            "details": "The result contains 5 rows",
            "hint": None,
            "message": "Cannot coerce the result to a single JSON object",
        },
    )


@check
def maybe_single():
    res = table("items").select("name").eq("id", 2).maybe_single().execute()
    eq(res.data, {"name": "banana"}, "one row")
    res = table("items").select("name").eq("id", 99).maybe_single().execute()
    eq(res, None, "no row")


# ---- errors ----


@check
def unknown_column():
    err = api_error(lambda: table("items").select("id,zzz_missing").execute())
    eq(
        err,
        {"code": "42703", "details": None, "hint": None, "message": "column items.zzz_missing does not exist"},
    )


@check
def unknown_table():
    err = api_error(lambda: table("itemz").select("*").execute())
    eq(
        err,
        {
            "code": "PGRST205",
            "details": None,
            "hint": "Perhaps you meant the table 'test.items'",
            "message": "Could not find the table 'test.itemz' in the schema cache",
        },
    )


@check
def unknown_function():
    err = api_error(lambda: client.rpc("rp_nothing_here", {"a": 1}).execute())
    eq(err.get("code"), "PGRST202", "code")
    eq(err.get("message"), "Could not find the function test.rp_nothing_here(a) in the schema cache", "message")


# ---- writes, returning representation ----


@check
def insert_one_row():
    res = table("wr_items").insert({"name": "pear", "qty": 3}, count=CountMethod.exact).execute()
    eq(res.count, 1, "count")
    eq(res.data, [{"id": 4, "name": "pear", "qty": 3, "note": "none", "tags": None, "meta": None}], "data")


@check
def bulk_insert_with_defaults():
    res = (
        table("wr_items")
        .insert(
            [
                {"name": "kiwi", "qty": 7, "tags": ["green"], "meta": {"origin": "IT"}},
                {"name": "lime", "note": "sour"},
            ],
            default_to_null=False,
        )
        .select("id,name,qty,note,tags,meta")
        .execute()
    )
    eq(
        sorted(res.data, key=by("id")),
        [
            {"id": 5, "name": "kiwi", "qty": 7, "note": "none", "tags": ["green"], "meta": {"origin": "IT"}},
            {"id": 6, "name": "lime", "qty": 1, "note": "sour", "tags": None, "meta": None},
        ],
    )


@check
def insert_returning_a_single_object():
    res = table("wr_tickets").insert({"title": "third"}).select("id,title,status").single().execute()
    eq(res.data, {"id": 3, "title": "third", "status": "open"})


@check
def upsert_merges_on_the_primary_key():
    res = (
        table("wr_people")
        .upsert(
            [
                {"id": 2, "email": "ben@example.test", "name": "Benjamin", "visits": 1},
                {"id": 3, "email": "cy@example.test", "name": "Cy", "visits": 0},
            ]
        )
        .execute()
    )
    eq(
        sorted(res.data, key=by("id")),
        [
            {"id": 2, "email": "ben@example.test", "name": "Benjamin", "visits": 1},
            {"id": 3, "email": "cy@example.test", "name": "Cy", "visits": 0},
        ],
        "upserted",
    )
    res = table("wr_people").select("id,name").order("id").execute()
    eq(res.data, [{"id": 1, "name": "Ann"}, {"id": 2, "name": "Benjamin"}, {"id": 3, "name": "Cy"}], "table")


@check
def upsert_ignoring_duplicates_on_conflict():
    res = (
        table("wr_people")
        .upsert(
            {"id": 9, "email": "ann@example.test", "name": "Other Ann"},
            on_conflict="email",
            ignore_duplicates=True,
        )
        .execute()
    )
    eq(res.data, [], "upserted")
    res = table("wr_people").select("id,name,visits").eq("email", "ann@example.test").single().execute()
    eq(res.data, {"id": 1, "name": "Ann", "visits": 3}, "kept")


@check
def write_with_maybe_single_and_no_row():
    res = (
        table("wr_people")
        .upsert(
            {"id": 11, "email": "ben@example.test", "name": "Ben again"},
            on_conflict="email",
            ignore_duplicates=True,
        )
        .maybe_single()
        .execute()
    )
    eq(res, None)


@check
def update_with_filters():
    res = table("wr_pairs").update({"val": "ONE-X"}).eq("a", 1).eq("b", "x").execute()
    eq(res.data, [{"a": 1, "b": "x", "val": "ONE-X"}])


@check
def delete_with_filters():
    res = table("wr_pairs").delete().eq("a", 1).execute()
    eq(
        sorted(res.data, key=by("b")),
        [{"a": 1, "b": "x", "val": "ONE-X"}, {"a": 1, "b": "y", "val": "one-y"}],
        "deleted",
    )
    res = table("wr_pairs").select("*", count=CountMethod.exact, head=True).execute()
    eq(res.count, 1, "left")


@check
def check_violation():
    err = api_error(lambda: table("wr_items").insert({"name": "bad", "qty": -1}).execute())
    eq(err.get("code"), "23514", "code")
    eq(
        err.get("message"),
        'new row for relation "wr_items" violates check constraint "wr_items_qty_check"',
        "message",
    )


@check
def unique_violation():
    err = api_error(lambda: table("wr_people").insert({"id": 10, "email": "ann@example.test"}).execute())
    eq(err.get("code"), "23505", "code")
    eq(err.get("details"), "Key (email)=(ann@example.test) already exists.", "details")


# ---- functions ----


@check
def rpc_post_with_arguments():
    eq(client.rpc("rp_add", {"a": 2, "b": 3}).execute().data, 5, "both arguments")
    eq(client.rpc("rp_add", {"a": 2}).execute().data, 12, "with a default")


@check
def rpc_get():
    eq(client.rpc("rp_add", {"a": 1, "b": 1}, get=True).execute().data, 2, "scalar")
    eq(client.rpc("rp_total", {"xs": [1, 2, 3]}, get=True).execute().data, 6, "array argument")
    eq(client.rpc("rp_powers", {"x": 3}, get=True).execute().data, {"doubled": 6, "squared": 9}, "OUT parameters")


@check
def rpc_json_arguments():
    eq(client.rpc("rp_total", {"xs": [4, 5]}).execute().data, 9, "array argument")
    body = {"anything": [1, {"two": 2}]}
    eq(client.rpc("rp_echo", body).execute().data, body, "single json parameter")


@check
def set_returning_rpc_with_filters():
    res = (
        client.rpc("rp_cities_over", {"minimum": 200000})
        .select("name")
        .gt("population", 250000)
        .order("name")
        .execute()
    )
    eq(res.data, [{"name": "Aarhus"}, {"name": "Bergen"}], "rows")
    eq(client.rpc("rp_series", {"n": 3}).execute().data, [1, 2, 3], "scalars")


@check
def set_returning_rpc_over_get_with_count():
    res = (
        client.rpc("rp_squares", {"k": 4}, get=True, count=CountMethod.exact)
        .select("n,sq")
        .gte("sq", 4)
        .order("n", desc=True)
        .limit(2)
        .execute()
    )
    eq(res.count, 3, "count")
    eq(res.data, [{"n": 4, "sq": 16}, {"n": 3, "sq": 9}], "data")


@check
def rpc_head_with_count():
    res = client.rpc("rp_series", {"n": 5}, head=True, count=CountMethod.exact).execute()
    eq(res.count, 5, "count")
    eq(res.data, [], "data of a HEAD request")


@check
def rpc_rows_that_embed():
    res = client.rpc("rp_long_books", {"min_pages": 250}).select("title,em_authors(name)").order("id").execute()
    eq(
        res.data,
        [
            {"title": "The Left Hand of Darkness", "em_authors": {"name": "Ursula K. Le Guin"}},
            {"title": "Kindred", "em_authors": {"name": "Octavia Butler"}},
        ],
    )


@check
def void_function():
    # 204 without a body; the client reports an empty list then.
    eq(client.rpc("rp_noop", {}).execute().data, [])


def main():
    failed = []
    for fn in CHECKS:
        try:
            fn()
        except Exception:
            failed.append(fn.__name__)
            print(f"FAIL {fn.__name__}\n{traceback.format_exc()}", flush=True)
        else:
            print(f"ok   {fn.__name__}", flush=True)
    print(f"{len(CHECKS) - len(failed)} of {len(CHECKS)} checks passed", flush=True)
    if failed:
        print("failed: " + ", ".join(failed), flush=True)
        return 1
    if not CHECKS:
        print("no checks ran", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
