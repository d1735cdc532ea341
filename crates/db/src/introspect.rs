//! Loads the schema cache and the role settings from the database.

use crate::params::{RawText, TextParam};
use crate::{DbError, Pool};
use postgres_types::ToSql;
use restgres_schema::SchemaCache;
use std::collections::HashMap;

/// Settings of each role the connecting role can switch to (`ALTER ROLE x SET ...`), applied per transaction
/// because `SET ROLE` alone does not apply them.
pub type RoleSettings = HashMap<String, Vec<(String, String)>>;

const ROLE_SETTINGS_QUERY: &str = "\
    SELECT r.rolname::text, s.setting \
    FROM pg_catalog.pg_auth_members m \
    JOIN pg_catalog.pg_roles r ON r.oid = m.roleid \
    CROSS JOIN LATERAL unnest(r.rolconfig) AS s(setting) \
    WHERE m.member = current_user::regrole::oid \
    UNION ALL \
    SELECT r.rolname::text, s.setting \
    FROM pg_catalog.pg_roles r CROSS JOIN LATERAL unnest(r.rolconfig) AS s(setting) \
    WHERE r.rolname = current_user";

/// PostgREST's in-database configuration: the authenticator's `pgrst.*` role settings, those for the current
/// database first, then the values a pre-config function sets (`UNION` part, added when there is one).
/// $1 is the setting names (`pgrst.db_schemas`, ...).
const DB_SETTINGS_QUERY: &str = "\
    WITH role_setting AS (\
      SELECT s.setdatabase AS database, unnest(s.setconfig) AS setting \
      FROM pg_catalog.pg_db_role_setting s \
      WHERE s.setrole = current_user::regrole::oid \
        AND s.setdatabase IN (0, (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_catalog))), \
    kv AS (\
      SELECT database, substr(setting, 1, strpos(setting, '=') - 1) AS k, \
        substr(setting, strpos(setting, '=') + 1) AS v FROM role_setting {PRE_CONFIG}) \
    SELECT DISTINCT ON (k) replace(k, 'pgrst.', '') AS key, v AS value FROM kv \
    WHERE k = ANY($1::text[]) AND v IS NOT NULL \
    ORDER BY k, database DESC NULLS LAST";

impl Pool {
    /// The in-database configuration as (`db_schemas`, value) pairs; `pre_config` is `db-pre-config`, a
    /// function (possibly schema-qualified) whose `set_config` calls count below the role settings.
    pub async fn load_db_settings(
        &self,
        names: &[String],
        pre_config: Option<&str>,
    ) -> Result<Vec<(String, String)>, DbError> {
        let pre = match pre_config {
            Some(f) if !f.trim().is_empty() => {
                // Operator configuration, but still quoted part by part.
                let quoted: Vec<String> = f
                    .trim()
                    .split('.')
                    .map(|p| format!("\"{}\"", p.replace('"', "\"\"")))
                    .collect();
                format!(
                    "UNION ALL SELECT NULL::oid, x, current_setting(x, true) FROM unnest($1::text[]) AS x \
                     JOIN {}() AS _ ON TRUE",
                    quoted.join(".")
                )
            }
            _ => String::new(),
        };
        let sql = DB_SETTINGS_QUERY.replace("{PRE_CONFIG}", &pre);
        let conn = self.get().await?;
        let array = restgres_sql::builder::array_literal(names);
        let param = TextParam(Some(&array));
        let params: [&(dyn ToSql + Sync); 1] = [&param];
        // The pre-config function's settings are transaction-local: run both in one transaction.
        conn.client.batch_execute("BEGIN READ ONLY").await?;
        let rows = conn.client.query(sql.as_str(), &params).await;
        conn.client
            .batch_execute(if rows.is_ok() { "COMMIT" } else { "ROLLBACK" })
            .await?;
        rows?
            .iter()
            .map(|r| {
                let k: String = r.try_get(0).map_err(|e| DbError::Protocol(e.to_string()))?;
                let v: String = r.try_get(1).map_err(|e| DbError::Protocol(e.to_string()))?;
                Ok((k, v))
            })
            .collect()
    }

    /// Runs the introspection query for the given schemas and decodes it.
    pub async fn load_schema_cache(&self, schemas: &[String]) -> Result<SchemaCache, DbError> {
        let conn = self.get().await?;
        let array = restgres_sql::builder::array_literal(schemas);
        let param = TextParam(Some(&array));
        let params: [&(dyn ToSql + Sync); 1] = [&param];
        let begin = format!(
            "BEGIN READ ONLY; {}",
            restgres_schema::introspect::SCHEMA_QUERY_SETUP
        );
        conn.client.batch_execute(&begin).await?;
        let rows = conn
            .client
            .query(restgres_schema::introspect::SCHEMA_QUERY, &params)
            .await;
        // The transaction only scopes the setup settings; end it whatever happened.
        conn.client
            .batch_execute(if rows.is_ok() { "COMMIT" } else { "ROLLBACK" })
            .await?;
        let rows = rows?;
        let raw: RawText = rows
            .first()
            .ok_or_else(|| DbError::Protocol("schema query returned no row".into()))?
            .try_get(0)
            .map_err(|e| DbError::Protocol(format!("schema query result: {e}")))?;
        let text =
            std::str::from_utf8(&raw.0).map_err(|e| DbError::Protocol(format!("schema query: {e}")))?;
        restgres_schema::introspect::decode(text).map_err(|e| DbError::Protocol(format!("schema cache: {e}")))
    }

    /// Reads the settings of the roles the authenticator may become.
    pub async fn load_role_settings(&self) -> Result<RoleSettings, DbError> {
        let conn = self.get().await?;
        let rows = conn.client.query(ROLE_SETTINGS_QUERY, &[]).await?;
        let mut out: RoleSettings = HashMap::new();
        for row in rows {
            let role: String = row.try_get(0).map_err(|e| DbError::Protocol(e.to_string()))?;
            let setting: String = row.try_get(1).map_err(|e| DbError::Protocol(e.to_string()))?;
            if let Some((k, v)) = setting.split_once('=') {
                out.entry(role).or_default().push((k.to_string(), v.to_string()));
            }
        }
        Ok(out)
    }

    /// `server_version_num` and the full version string.
    pub async fn server_version(&self) -> Result<(i32, String), DbError> {
        let conn = self.get().await?;
        let row = conn
            .client
            .query_one(
                "SELECT current_setting('server_version_num')::int4, version()",
                &[],
            )
            .await?;
        let num: i32 = row.try_get(0).map_err(|e| DbError::Protocol(e.to_string()))?;
        let text: String = row.try_get(1).map_err(|e| DbError::Protocol(e.to_string()))?;
        Ok((num, text))
    }
}
