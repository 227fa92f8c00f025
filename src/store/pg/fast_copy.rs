//! `COPY … TO STDOUT` over a connection of the async client on a runtime of its own,
//! in the snapshot another transaction exported. The sync client enters its runtime
//! once per row (`CopyOutReader::fill_buf`: a `block_on` per `CopyData` message), which
//! cost about 3 s of CPU for y1's 5,000,000 run steps; here all the rows are taken in
//! one `block_on`. Hand-written for the open budget (#29: open y1 ≤ 3 s); everything
//! else uses the sync client.

use super::{PgError, async_config, query_error, redacted, tls};
use futures_util::StreamExt as _;
use std::time::Duration;

/// Run `sqls` (each a `COPY … TO STDOUT`) one after the other on a new connection to
/// `url`, in the exported `snapshot`, giving each piece received to `sink` as it comes,
/// with the position of its statement.
pub(super) fn copy_in_snapshot(
    url: &str,
    snapshot: &str,
    sqls: &[String],
    mut sink: impl FnMut(usize, &[u8]) -> Result<(), PgError>,
) -> Result<(), PgError> {
    let config = async_config(url)?;
    let shown = redacted(url);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| PgError::Refused(format!("cannot start reading: {e}")))?;
    let limit = config.get_connect_timeout().copied().unwrap_or(Duration::from_secs(10));
    let connect_failed = |why: String| PgError::Connect { url: shown.clone(), why };
    let timed_out = || connect_failed(format!("timed out after {} s", limit.as_secs()));
    runtime.block_on(async {
        let mut client = match config.get_ssl_mode() {
            tokio_postgres::config::SslMode::Disable => {
                let (client, connection) = tokio::time::timeout(limit, config.connect(tokio_postgres::NoTls))
                    .await
                    .map_err(|_| timed_out())?
                    .map_err(|e| connect_failed(e.to_string()))?;
                tokio::spawn(connection);
                client
            }
            _ => {
                let (client, connection) = tokio::time::timeout(limit, config.connect(tls()))
                    .await
                    .map_err(|_| timed_out())?
                    .map_err(|e| connect_failed(e.to_string()))?;
                tokio::spawn(connection);
                client
            }
        };
        let tx = client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(query_error("starting to read"))?;
        tx.batch_execute(&super::read::join_snapshot(snapshot))
            .await
            .map_err(query_error("joining the read's snapshot"))?;
        for (i, sql) in sqls.iter().enumerate() {
            let stream = tx.copy_out(sql.as_str()).await.map_err(query_error("reading"))?;
            futures_util::pin_mut!(stream);
            while let Some(bytes) = stream.next().await {
                sink(i, &bytes.map_err(query_error("reading"))?)?;
            }
        }
        tx.commit().await.map_err(query_error("finishing the read"))?;
        Ok(())
    })
}
