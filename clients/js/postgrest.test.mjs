// Drives restgres with @supabase/postgrest-js against the HTTP suite's fixture schema
// (crates/restgres/tests/fixtures/*.sql). Run by the trial clients::postgrest_js, which starts a server on a
// database of its own and passes its URL in RESTGRES_URL:
//
//     RESTGRES_URL=http://127.0.0.1:3000 node --test postgrest.test.mjs
//
// The tests run in file order on one database: the write tests see each other's rows and sequence values.
// Expected values come from the fixtures' rows and PostgREST's documented behaviour.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PostgrestClient } from '@supabase/postgrest-js'

const url = process.env.RESTGRES_URL
if (!url) {
  throw new Error('RESTGRES_URL is not set: the URL of a restgres serving the HTTP suite fixtures')
}

// The suite serves db-schemas = "test, other"; the client sends Accept-Profile/Content-Profile: test.
const db = new PostgrestClient(url, { schema: 'test' })

/** The response, after checking that it carries no error (shown in full when it does). */
function ok(res) {
  assert.equal(res.error, null, `unexpected error (status ${res.status}): ${JSON.stringify(res.error)}`)
  return res
}

const byKey = (key) => (a, b) => (a[key] < b[key] ? -1 : a[key] > b[key] ? 1 : 0)

// ---- reads: columns, filters, ordering, pagination ----

test('select columns with eq', async () => {
  const res = ok(await db.from('items').select('id,name,price,weight').eq('id', 1))
  assert.equal(res.status, 200)
  // numeric 1.50 and real 0.2 come through as PostgreSQL prints them (no float4 noise such as 0.200000003).
  assert.deepEqual(res.data, [{ id: 1, name: 'apple', price: 1.5, weight: 0.2 }])
})

test('gt with order', async () => {
  const res = ok(await db.from('items').select('id,qty').gt('qty', 5).order('id'))
  assert.deepEqual(res.data, [
    { id: 1, qty: 10 },
    { id: 2, qty: 100 },
  ])
})

test('in, with a value the table lacks', async () => {
  const res = ok(await db.from('items').select('id').in('name', ['apple', 'cherry', 'nope']).order('id'))
  assert.deepEqual(res.data, [{ id: 1 }, { id: 3 }])
})

test('like with % wildcards and ilike', async () => {
  const like = ok(await db.from('items').select('name').like('name', '%rr%').order('id'))
  assert.deepEqual(like.data, [{ name: 'cherry' }, { name: 'elderberry' }])
  const ilike = ok(await db.from('items').select('id,name').ilike('name', 'APP%'))
  assert.deepEqual(ilike.data, [{ id: 1, name: 'apple' }])
})

test('is null, is false and not is null', async () => {
  const isNull = ok(await db.from('items').select('id,code').is('code', null))
  assert.deepEqual(isNull.data, [{ id: 4, code: null }])
  const isFalse = ok(await db.from('items').select('id').is('in_stock', false).order('id'))
  assert.deepEqual(isFalse.data, [{ id: 3 }, { id: 5 }])
  const notNull = ok(await db.from('items').select('id').not('note', 'is', null).order('id'))
  assert.deepEqual(notNull.data, [{ id: 1 }, { id: 3 }, { id: 5 }])
})

test('or, and match', async () => {
  const or = ok(await db.from('items').select('id,name').or('qty.gt.50,name.eq.date').order('id'))
  assert.deepEqual(or.data, [
    { id: 2, name: 'banana' },
    { id: 4, name: 'date' },
  ])
  const nested = ok(
    await db.from('items').select('id').or('and(in_stock.is.true,qty.lt.50),mood.eq.sad').order('id')
  )
  assert.deepEqual(nested.data, [{ id: 1 }, { id: 3 }])
  const match = ok(await db.from('items').select('id').match({ in_stock: true, mood: 'ok' }))
  assert.deepEqual(match.data, [{ id: 2 }])
})

test('values with spaces and reserved characters', async () => {
  // URLSearchParams sends a space as '+', which a server must read as a space.
  const spaced = ok(await db.from('items').select('id').eq('note', 'rare and wild'))
  assert.deepEqual(spaced.data, [{ id: 5 }])
  // in() puts values with ',' or '(' in double quotes.
  const quoted = ok(await db.from('strings').select('id,s').in('s', ['a,b', 'paren (x)', 'with space']).order('id'))
  assert.deepEqual(quoted.data, [
    { id: 1, s: 'a,b' },
    { id: 4, s: 'paren (x)' },
    { id: 10, s: 'with space' },
  ])
})

test('names with spaces and non-ASCII letters', async () => {
  const columns = ok(await db.from('special names').select('id,"first name",ñandú').order('id'))
  assert.deepEqual(columns.data, [
    { id: 1, 'first name': 'Ann', ñandú: 'ave' },
    { id: 2, 'first name': 'Bob', ñandú: 'pájaro' },
  ])
  const table = ok(await db.from('ñandú').select('nombre').order('id'))
  assert.deepEqual(table.data, [{ nombre: 'Rhea americana' }, { nombre: 'Rhea pennata' }])
})

test('array contains and a JSON path', async () => {
  const cs = ok(await db.from('arrays').select('id').contains('tags', ['b']).order('id'))
  assert.deepEqual(cs.data, [{ id: 1 }, { id: 2 }])
  const json = ok(await db.from('jsondata').select('id,name:data->>name,w:data->dims->w').lte('id', 2).order('id'))
  assert.deepEqual(json.data, [
    { id: 1, name: 'alpha', w: 10 },
    { id: 2, name: 'beta', w: 3 },
  ])
})

test('full-text search (websearch, with a configuration)', async () => {
  const res = ok(
    await db.from('docs').select('id').textSearch('tsv', 'fat -rats', { type: 'websearch', config: 'english' })
  )
  assert.deepEqual(res.data, [{ id: 4 }])
})

test('order descending with limit', async () => {
  const res = ok(await db.from('items').select('id,price').order('price', { ascending: false }).limit(2))
  assert.deepEqual(res.data, [
    { id: 3, price: 12 },
    { id: 4, price: 7.75 },
  ])
})

test('order with nulls first on two columns', async () => {
  const res = ok(
    await db
      .from('items')
      .select('id')
      .order('in_stock', { ascending: true, nullsFirst: true })
      .order('id', { ascending: false })
  )
  assert.deepEqual(res.data, [{ id: 4 }, { id: 5 }, { id: 3 }, { id: 2 }, { id: 1 }])
})

test('range', async () => {
  const res = ok(await db.from('items').select('id').order('id').range(1, 3))
  assert.deepEqual(res.data, [{ id: 2 }, { id: 3 }, { id: 4 }])
})

test('the other schema', async () => {
  const res = ok(await db.schema('other').from('items').select('*').order('id'))
  assert.deepEqual(res.data, [
    { id: 1, label: 'other one' },
    { id: 2, label: 'other two' },
  ])
})

// ---- counting ----

test("count: 'exact' with a limit is 206 with the total", async () => {
  const res = ok(await db.from('items').select('id', { count: 'exact' }).lt('id', 4).order('id').limit(2))
  assert.equal(res.status, 206)
  assert.equal(res.count, 3)
  assert.deepEqual(res.data, [{ id: 1 }, { id: 2 }])
})

test("count: 'exact' with head: true", async () => {
  const res = ok(await db.from('items').select('*', { count: 'exact', head: true }).eq('in_stock', true))
  assert.equal(res.status, 200)
  assert.equal(res.count, 2)
  assert.equal(res.data, null)
})

// ---- embedding ----

test('embed to-one with an alias, including a missing parent', async () => {
  const res = ok(
    await db.from('em_books').select('title,author:em_authors(name)').in('id', [1, 5, 7]).order('id')
  )
  assert.deepEqual(res.data, [
    { title: 'A Wizard of Earthsea', author: { name: 'Ursula K. Le Guin' } },
    { title: 'Kindred', author: { name: 'Octavia Butler' } },
    { title: 'Untitled Manuscript', author: null },
  ])
})

test('embed to-many, ordered by the referenced table', async () => {
  const res = ok(
    await db
      .from('em_authors')
      .select('name,em_books(title,year)')
      .eq('id', 2)
      .order('year', { referencedTable: 'em_books' })
  )
  assert.deepEqual(res.data, [
    {
      name: 'Italo Calvino',
      em_books: [
        { title: 'The Baron in the Trees', year: 1957 },
        { title: 'Invisible Cities', year: 1972 },
      ],
    },
  ])
})

test('or() and limit() on a referenced table', async () => {
  const or = ok(
    await db
      .from('em_authors')
      .select('name,em_books(title)')
      .eq('id', 1)
      .or('year.lt.1969,pages.gt.1000', { referencedTable: 'em_books' })
  )
  assert.deepEqual(or.data, [{ name: 'Ursula K. Le Guin', em_books: [{ title: 'A Wizard of Earthsea' }] }])
  const limited = ok(
    await db
      .from('em_authors')
      .select('name,em_books(title)')
      .eq('id', 2)
      .order('year', { referencedTable: 'em_books', ascending: false })
      .limit(1, { referencedTable: 'em_books' })
  )
  assert.deepEqual(limited.data, [{ name: 'Italo Calvino', em_books: [{ title: 'Invisible Cities' }] }])
})

test('embed many-to-many through a junction', async () => {
  const res = ok(
    await db
      .from('em_books')
      .select('title,em_tags(name)')
      .eq('id', 3)
      .order('name', { referencedTable: 'em_tags' })
  )
  assert.deepEqual(res.data, [{ title: 'Invisible Cities', em_tags: [{ name: 'classic' }, { name: 'translated' }] }])
})

test('!inner embed filtered on the embedded table', async () => {
  const res = ok(await db.from('em_authors').select('name,em_books!inner(title)').eq('em_books.year', 1961))
  assert.deepEqual(res.data, [{ name: 'Stanislaw Lem', em_books: [{ title: 'Solaris' }] }])
})

test('!inner one-to-one embed drops parents without a child', async () => {
  const res = ok(await db.from('em_authors').select('name,em_author_profiles!inner(bio)').order('id'))
  assert.deepEqual(res.data, [
    { name: 'Ursula K. Le Guin', em_author_profiles: { bio: 'Wrote Earthsea' } },
    { name: 'Octavia Butler', em_author_profiles: { bio: 'Wrote Kindred' } },
  ])
})

// ---- representations: CSV, single, maybeSingle ----

test('csv()', async () => {
  const res = ok(await db.from('items').select('id,name,price').lte('id', 2).order('id').csv())
  assert.equal(res.data, 'id,name,price\n1,apple,1.50\n2,banana,0.25')
})

test('single() with one row', async () => {
  const res = ok(await db.from('items').select('id,name').eq('id', 3).single())
  assert.deepEqual(res.data, { id: 3, name: 'cherry' })
})

test('single() with several rows is 406 PGRST116', async () => {
  const res = await db.from('items').select('id').single()
  assert.equal(res.status, 406)
  assert.equal(res.data, null)
  assert.deepEqual(res.error, {
    code: 'PGRST116',
    details: 'The result contains 5 rows',
    hint: null,
    message: 'Cannot coerce the result to a single JSON object',
  })
})

test('maybeSingle() with one row and with none', async () => {
  const one = ok(await db.from('items').select('name').eq('id', 2).maybeSingle())
  assert.deepEqual(one.data, { name: 'banana' })
  const none = ok(await db.from('items').select('name').eq('id', 99).maybeSingle())
  assert.equal(none.status, 200)
  assert.equal(none.data, null)
})

test('throwOnError() rejects with the PostgREST error', async () => {
  await assert.rejects(async () => await db.from('itemz').select().throwOnError(), (e) => {
    assert.equal(e.code, 'PGRST205')
    assert.equal(e.message, "Could not find the table 'test.itemz' in the schema cache")
    return true
  })
})

// ---- errors ----

test('unknown column is 400 with SQLSTATE 42703', async () => {
  const res = await db.from('items').select('id,zzz_missing')
  assert.equal(res.status, 400)
  assert.equal(res.data, null)
  assert.deepEqual(res.error, {
    code: '42703',
    details: null,
    hint: null,
    message: 'column items.zzz_missing does not exist',
  })
})

test('unknown table is 404 PGRST205 with a hint', async () => {
  const res = await db.from('itemz').select()
  assert.equal(res.status, 404)
  assert.deepEqual(res.error, {
    code: 'PGRST205',
    details: null,
    hint: "Perhaps you meant the table 'test.items'",
    message: "Could not find the table 'test.itemz' in the schema cache",
  })
})

test('unknown function is 404 PGRST202', async () => {
  const res = await db.rpc('rp_nothing_here', { a: 1 })
  assert.equal(res.status, 404)
  assert.equal(res.error?.code, 'PGRST202')
  assert.equal(
    res.error?.message,
    'Could not find the function test.rp_nothing_here(a) in the schema cache'
  )
})

// ---- writes, returning representation ----

test('insert one row with select() and an exact count', async () => {
  const res = ok(await db.from('wr_items').insert({ name: 'pear', qty: 3 }, { count: 'exact' }).select())
  assert.equal(res.status, 201)
  assert.equal(res.count, 1)
  assert.deepEqual(res.data, [{ id: 4, name: 'pear', qty: 3, note: 'none', tags: null, meta: null }])
})

test('bulk insert with defaultToNull: false takes column defaults', async () => {
  const res = ok(
    await db
      .from('wr_items')
      .insert(
        [
          { name: 'kiwi', qty: 7, tags: ['green'], meta: { origin: 'IT' } },
          { name: 'lime', note: 'sour' },
        ],
        { defaultToNull: false }
      )
      .select('id,name,qty,note,tags,meta')
  )
  assert.equal(res.status, 201)
  assert.deepEqual(res.data.sort(byKey('id')), [
    { id: 5, name: 'kiwi', qty: 7, note: 'none', tags: ['green'], meta: { origin: 'IT' } },
    { id: 6, name: 'lime', qty: 1, note: 'sour', tags: null, meta: null },
  ])
})

test('insert().select().single() returns the object', async () => {
  const res = ok(await db.from('wr_tickets').insert({ title: 'third' }).select('id,title,status').single())
  assert.equal(res.status, 201)
  assert.deepEqual(res.data, { id: 3, title: 'third', status: 'open' })
})

test('upsert merges on the primary key', async () => {
  const res = ok(
    await db
      .from('wr_people')
      .upsert([
        { id: 2, email: 'ben@example.test', name: 'Benjamin', visits: 1 },
        { id: 3, email: 'cy@example.test', name: 'Cy', visits: 0 },
      ])
      .select()
  )
  assert.equal(res.status, 201)
  assert.deepEqual(res.data.sort(byKey('id')), [
    { id: 2, email: 'ben@example.test', name: 'Benjamin', visits: 1 },
    { id: 3, email: 'cy@example.test', name: 'Cy', visits: 0 },
  ])
  const all = ok(await db.from('wr_people').select('id,name').order('id'))
  assert.deepEqual(all.data, [
    { id: 1, name: 'Ann' },
    { id: 2, name: 'Benjamin' },
    { id: 3, name: 'Cy' },
  ])
})

test('upsert with onConflict and ignoreDuplicates keeps the existing row', async () => {
  const res = ok(
    await db
      .from('wr_people')
      .upsert({ id: 9, email: 'ann@example.test', name: 'Other Ann' }, { onConflict: 'email', ignoreDuplicates: true })
      .select()
  )
  assert.deepEqual(res.data, [])
  const ann = ok(await db.from('wr_people').select('id,name,visits').eq('email', 'ann@example.test').single())
  assert.deepEqual(ann.data, { id: 1, name: 'Ann', visits: 3 })
})

test('a write with maybeSingle() that returns no row', async () => {
  // The client asks for an object; PostgREST answers 406 PGRST116 "The result contains 0 rows" (and rolls back),
  // which postgrest-js turns into data null.
  const res = ok(
    await db
      .from('wr_people')
      .upsert({ id: 11, email: 'ben@example.test', name: 'Ben again' }, { onConflict: 'email', ignoreDuplicates: true })
      .select()
      .maybeSingle()
  )
  assert.equal(res.status, 200)
  assert.equal(res.data, null)
})

test('update with filters and select()', async () => {
  const res = ok(await db.from('wr_pairs').update({ val: 'ONE-X' }).eq('a', 1).eq('b', 'x').select())
  assert.equal(res.status, 200)
  assert.deepEqual(res.data, [{ a: 1, b: 'x', val: 'ONE-X' }])
})

test('delete with select() and a count of what is left', async () => {
  const res = ok(await db.from('wr_pairs').delete().eq('a', 1).select('a,b,val'))
  assert.equal(res.status, 200)
  assert.deepEqual(res.data.sort(byKey('b')), [
    { a: 1, b: 'x', val: 'ONE-X' },
    { a: 1, b: 'y', val: 'one-y' },
  ])
  const left = ok(await db.from('wr_pairs').select('*', { count: 'exact', head: true }))
  assert.equal(left.count, 1)
})

test('a CHECK violation is 400 with SQLSTATE 23514', async () => {
  const res = await db.from('wr_items').insert({ name: 'bad', qty: -1 }).select()
  assert.equal(res.status, 400)
  assert.equal(res.data, null)
  assert.equal(res.error?.code, '23514')
  assert.match(res.error?.message ?? '', /wr_items_qty_check/)
})

test('a unique violation is 409 with SQLSTATE 23505', async () => {
  const res = await db.from('wr_people').insert({ id: 10, email: 'ann@example.test' })
  assert.equal(res.status, 409)
  assert.equal(res.error?.code, '23505')
  assert.equal(res.error?.details, 'Key (email)=(ann@example.test) already exists.')
})

// ---- functions ----

test('rpc POST with arguments and with a default', async () => {
  const both = ok(await db.rpc('rp_add', { a: 2, b: 3 }))
  assert.equal(both.status, 200)
  assert.equal(both.data, 5)
  const defaulted = ok(await db.rpc('rp_add', { a: 2 }))
  assert.equal(defaulted.data, 12)
})

test('rpc GET ({ get: true }) with arguments, an array argument and OUT parameters', async () => {
  const add = ok(await db.rpc('rp_add', { a: 1, b: 1 }, { get: true }))
  assert.equal(add.data, 2)
  const total = ok(await db.rpc('rp_total', { xs: [1, 2, 3] }, { get: true }))
  assert.equal(total.data, 6)
  const powers = ok(await db.rpc('rp_powers', { x: 3 }, { get: true }))
  assert.deepEqual(powers.data, { doubled: 6, squared: 9 })
})

test('rpc with a JSON array argument and a single json parameter', async () => {
  const total = ok(await db.rpc('rp_total', { xs: [4, 5] }))
  assert.equal(total.data, 9)
  const echo = ok(await db.rpc('rp_echo', { anything: [1, { two: 2 }] }))
  assert.deepEqual(echo.data, { anything: [1, { two: 2 }] })
})

test('set-returning rpc with select, filters and order', async () => {
  const res = ok(
    await db.rpc('rp_cities_over', { minimum: 200000 }).select('name').gt('population', 250000).order('name')
  )
  assert.deepEqual(res.data, [{ name: 'Aarhus' }, { name: 'Bergen' }])
  const series = ok(await db.rpc('rp_series', { n: 3 }))
  assert.deepEqual(series.data, [1, 2, 3])
})

test('set-returning rpc over GET with an exact count', async () => {
  const res = ok(
    await db
      .rpc('rp_squares', { k: 4 }, { get: true, count: 'exact' })
      .select('n,sq')
      .gte('sq', 4)
      .order('n', { ascending: false })
      .limit(2)
  )
  assert.equal(res.count, 3)
  assert.deepEqual(res.data, [
    { n: 4, sq: 16 },
    { n: 3, sq: 9 },
  ])
})

test("rpc with head: true and count: 'exact'", async () => {
  const res = ok(await db.rpc('rp_series', { n: 5 }, { head: true, count: 'exact' }))
  assert.equal(res.count, 5)
  assert.equal(res.data, null)
})

test('rpc returning rows that embed', async () => {
  const res = ok(
    await db.rpc('rp_long_books', { min_pages: 250 }).select('title,em_authors(name)').order('id')
  )
  assert.deepEqual(res.data, [
    { title: 'The Left Hand of Darkness', em_authors: { name: 'Ursula K. Le Guin' } },
    { title: 'Kindred', em_authors: { name: 'Octavia Butler' } },
  ])
})

test('a void function is 204 without data', async () => {
  const res = ok(await db.rpc('rp_noop'))
  assert.equal(res.status, 204)
  assert.equal(res.data, null)
})
