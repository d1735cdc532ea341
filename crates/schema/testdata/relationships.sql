-- Every kind of relationship PostgREST detects, for the tests in src/relationships.rs. They decode the output of
-- SCHEMA_QUERY with $1 = '{api,other}' on a PostgreSQL 15 database loaded with this file
-- (testdata/relationships.json).
CREATE SCHEMA api;
CREATE SCHEMA other;
CREATE SCHEMA private;

-- Many-to-one / one-to-many.
CREATE TABLE api.directors (id int PRIMARY KEY, name text);
CREATE TABLE api.films (id int PRIMARY KEY, director_id int REFERENCES api.directors(id), title text);

-- One-to-one: the key's columns are the primary key, or a unique constraint in another order.
CREATE TABLE api.technical_specs (film_id int PRIMARY KEY REFERENCES api.films(id), runtime int);
CREATE TABLE api.pairs (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE api.pair_notes (
  id int PRIMARY KEY, pb int, pa int, UNIQUE (pa, pb),
  CONSTRAINT pair_notes_pair_fkey FOREIGN KEY (pb, pa) REFERENCES api.pairs(b, a)
);

-- A composite key, listed in key order (not column order, not the primary key's order).
CREATE TABLE api.editions (no int, film_id int REFERENCES api.films(id), PRIMARY KEY (no, film_id));
CREATE TABLE api.printings (
  id int PRIMARY KEY, edition_film int, edition_no int,
  CONSTRAINT printings_edition_fkey FOREIGN KEY (edition_film, edition_no) REFERENCES api.editions(film_id, no)
);

-- Many-to-many: roles is a junction (both keys in its primary key, plus another column).
CREATE TABLE api.actors (id int PRIMARY KEY, name text);
CREATE TABLE api.roles (
  actor_id int REFERENCES api.actors(id), film_id int REFERENCES api.films(id), character text,
  PRIMARY KEY (actor_id, film_id, character)
);
-- Not junctions: the keys are outside the primary key, or only in a unique constraint.
CREATE TABLE api.competitions (id int PRIMARY KEY);
CREATE TABLE api.nominations (
  id int PRIMARY KEY, film_id int REFERENCES api.films(id), competition_id int REFERENCES api.competitions(id)
);
CREATE TABLE api.likes (
  actor_id int REFERENCES api.actors(id), competition_id int REFERENCES api.competitions(id),
  UNIQUE (actor_id, competition_id)
);
-- A junction in a schema that is not exposed relates nothing.
CREATE TABLE api.tags (id int PRIMARY KEY);
CREATE TABLE private.film_tags (
  film_id int REFERENCES api.films(id), tag_id int REFERENCES api.tags(id), PRIMARY KEY (film_id, tag_id)
);

-- Self references: one key, and two keys.
CREATE TABLE api.people (id int PRIMARY KEY, parent_id int REFERENCES api.people(id));
CREATE TABLE api.organizations (
  id int PRIMARY KEY,
  referee int CONSTRAINT organizations_referee_fkey REFERENCES api.organizations(id),
  auditor int CONSTRAINT organizations_auditor_fkey REFERENCES api.organizations(id)
);

-- Two keys between the same tables.
CREATE TABLE api.addresses (id int PRIMARY KEY, street text);
CREATE TABLE api.orders (
  id int PRIMARY KEY,
  billing_address_id int CONSTRAINT billing REFERENCES api.addresses(id),
  shipping_address_id int CONSTRAINT shipping REFERENCES api.addresses(id)
);

-- Views inherit their tables' keys; a view of a view too.
CREATE VIEW api.films_view AS SELECT id, director_id, title FROM api.films;
CREATE VIEW api.films_view_again AS SELECT id AS film_no, director_id AS made_by FROM api.films_view;

-- Cross-schema: other.reviews points at api.films.
CREATE TABLE other.reviews (id int PRIMARY KEY, film_id int REFERENCES api.films(id), stars int);

-- Computed relationships. film_director is to-one (ROWS 1), director_films to-many; "directors" takes the
-- place of the detected films -> directors relationships; private.best_film is in a schema that is not exposed
-- (PostgREST does not look at the function's schema); a function on a type that is not a relation is none.
CREATE FUNCTION api.film_director(api.films) RETURNS SETOF api.directors ROWS 1 LANGUAGE sql STABLE
  AS 'SELECT * FROM api.directors WHERE id = $1.director_id';
CREATE FUNCTION api.director_films(api.directors) RETURNS SETOF api.films LANGUAGE sql STABLE
  AS 'SELECT * FROM api.films WHERE director_id = $1.id';
CREATE FUNCTION api.directors(api.films) RETURNS api.directors LANGUAGE sql STABLE
  AS 'SELECT * FROM api.directors WHERE id = $1.director_id';
CREATE FUNCTION private.best_film(api.directors) RETURNS SETOF api.films ROWS 1 LANGUAGE sql STABLE
  AS 'SELECT * FROM api.films WHERE director_id = $1.id LIMIT 1';
CREATE TYPE api.pair AS (a int, b int);
CREATE FUNCTION api.not_a_relation(api.pair) RETURNS SETOF api.films LANGUAGE sql AS 'SELECT * FROM api.films';
CREATE FUNCTION api.two_args(api.films, int) RETURNS SETOF api.films LANGUAGE sql AS 'SELECT $1';
CREATE FUNCTION api.to_private(api.films) RETURNS SETOF private.film_tags LANGUAGE sql
  AS 'SELECT * FROM private.film_tags';

-- Partitions are not relations of the cache, and their copies of the parent's key are not keys.
CREATE TABLE api.measurements (id int, at date, PRIMARY KEY (id, at), film_id int REFERENCES api.films(id))
  PARTITION BY RANGE (at);
CREATE TABLE api.measurements_2020 PARTITION OF api.measurements FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
