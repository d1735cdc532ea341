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

impl Pool {
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
