//! `weft credentials add|list|delete`, and the master key every engine start loads.

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use serde_json::{Map, Value};
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use weft_secrets::{KeySource, MasterKey, Vault};
use weft_store_api::{NewCredential, Store, TenantScope};

/// The environment variable holding the master key (base64 or hex of 32 bytes).
pub const MASTER_KEY_ENV: &str = "WEFT_MASTER_KEY";

/// Loads the master key from the environment or `DATA_DIR/master.key`, creating the file (mode
/// 0600) on first start.
pub fn load_vault(data_dir: &Path) -> Result<Arc<Vault>> {
    let env = std::env::var(MASTER_KEY_ENV).ok();
    let (key, source) =
        MasterKey::load(MASTER_KEY_ENV, env.as_deref(), &data_dir.join("master.key"))
            .context("cannot load the master key that encrypts credentials")?;
    if let KeySource::Created(path) = source {
        eprintln!(
            "created the master key {path} (mode 0600): credentials cannot be decrypted without it, back it up"
        );
    }
    Ok(Arc::new(Vault::new(&key)))
}

#[derive(Subcommand)]
pub enum CredentialsCommand {
    /// Store a credential. Secret values never appear in run data, logs or errors.
    Add {
        /// Name shown in pickers; unique.
        name: String,
        /// bearer {token}, basic {username, password}, header {name, value},
        /// apiKey {in: header|query, name, value}, or custom (any fields).
        #[arg(long)]
        kind: String,
        /// A field: KEY=VALUE, KEY=@FILE, or KEY=@- to read it from standard input (keeps it
        /// out of the shell history). Repeat for several fields.
        #[arg(long = "field", value_name = "KEY=VALUE")]
        fields: Vec<String>,
        /// Id to give it (default: generated). Adding with an existing id replaces it.
        #[arg(long)]
        id: Option<String>,
    },
    /// List credentials (never their secrets).
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Delete a credential.
    Delete {
        /// Its id.
        id: String,
    },
}

fn parse_fields(fields: &[String]) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    let mut stdin_used = false;
    for f in fields {
        let Some((key, raw)) = f.split_once('=') else {
            bail!(
                "--field {key:?} must be KEY=VALUE, KEY=@FILE or KEY=@-",
                key = f.split('=').next().unwrap_or("")
            );
        };
        let value = match raw {
            "@-" => {
                if stdin_used {
                    bail!("only one field can be read from standard input");
                }
                stdin_used = true;
                let mut s = String::new();
                std::io::stdin()
                    .read_to_string(&mut s)
                    .context("reading the field from standard input")?;
                s.trim_end_matches(['\r', '\n']).to_string()
            }
            r if r.starts_with('@') => std::fs::read_to_string(&r[1..])
                .with_context(|| format!("reading field {key:?} from {}", &r[1..]))?
                .trim_end_matches(['\r', '\n'])
                .to_string(),
            r => r.to_string(),
        };
        out.insert(key.to_string(), Value::String(value));
    }
    Ok(out)
}

/// Runs a `weft credentials` command.
pub async fn run(
    command: CredentialsCommand,
    store: Arc<dyn Store>,
    data_dir: &Path,
) -> Result<()> {
    let scope = TenantScope::default_org();
    match command {
        CredentialsCommand::Add {
            name,
            kind,
            fields,
            id,
        } => {
            let fields = parse_fields(&fields)?;
            if let Err(message) = weft_secrets::check_credential_fields(&kind, &fields) {
                bail!("{message}; add them with --field NAME=…");
            }
            let vault = load_vault(data_dir)?;
            let id = id.unwrap_or_else(|| format!("cred-{}", uuid::Uuid::now_v7().simple()));
            let sealed = vault.seal_fields(&scope.org_id, &id, &fields);
            store
                .put_credential(
                    &scope,
                    NewCredential {
                        id: id.clone(),
                        name: name.clone(),
                        kind,
                        sealed,
                    },
                )
                .await?;
            println!("{id}");
            eprintln!("stored credential {name:?} as {id}");
        }
        CredentialsCommand::List { json } => {
            let list = store.list_credentials(&scope).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else if list.is_empty() {
                eprintln!(
                    "no credentials; add one with `weft credentials add NAME --kind bearer --field token=@-`"
                );
            } else {
                for c in list {
                    println!(
                        "{:<32} {:<24} {:<8} updated {}",
                        c.id,
                        c.name,
                        c.kind,
                        c.updated_at.format("%Y-%m-%d %H:%M")
                    );
                }
            }
        }
        CredentialsCommand::Delete { id } => {
            if !store.delete_credential(&scope, &id).await? {
                bail!("there is no credential with id {id:?}");
            }
            eprintln!("deleted credential {id}");
        }
    }
    Ok(())
}
