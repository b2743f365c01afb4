"""Fill an Ampyre database with years of history, to check that a message costs the same
on a full database as on an empty one.

Writes stopped transactions and their meter values for charge points and id tags named
like the load generator's (`perf-cp-N`, `TAG0..TAG99`), so the benchmark's own lookups
meet the history: the id tag's transactions, the charge point's transactions and the
meter value index all hold millions of rows.

    python benchmarks/fill_database.py sqlite:///big.db --transactions 1000000 \
        --meter-values 20000000
    ampyre serve --database sqlite:///big.db ...   # then run the benchmark against it

SQLite is filled with bulk inserts from Python, PostgreSQL with `generate_series` inside
the server; the schema is migrated first.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import time
from datetime import UTC, datetime, timedelta

import orjson

from ampyre.storage.database import Database

#: One MeterValue's sampled values as charge points send them (8 values, ~600 bytes).
SAMPLED = orjson.dumps(
    [
        {"value": "12345.6", "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
        {"value": "7200", "measurand": "Power.Active.Import", "unit": "W"},
        {"value": "16.1", "measurand": "Current.Import", "unit": "A", "phase": "L1"},
        {"value": "16.0", "measurand": "Current.Import", "unit": "A", "phase": "L2"},
        {"value": "15.9", "measurand": "Current.Import", "unit": "A", "phase": "L3"},
        {"value": "230.1", "measurand": "Voltage", "unit": "V", "phase": "L1-N"},
        {"value": "229.8", "measurand": "Voltage", "unit": "V", "phase": "L2-N"},
        {"value": "231.0", "measurand": "SoC", "unit": "Percent"},
    ]
).decode()

CHUNK = 50_000


def fill(path: str, transactions: int, meter_values: int, charge_points: int) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=OFF")
    start = datetime(2020, 1, 1, tzinfo=UTC)
    per_transaction = max(1, meter_values // max(1, transactions))
    (first_id,) = connection.execute("SELECT coalesce(max(id), 0) + 1 FROM transactions").fetchone()
    began = time.monotonic()
    written_values = 0
    for chunk_start in range(0, transactions, CHUNK):
        chunk = range(chunk_start, min(transactions, chunk_start + CHUNK))
        rows = []
        values = []
        for n in chunk:
            transaction_id = first_id + n
            begin = start + timedelta(minutes=n)
            stamp = begin.replace(tzinfo=None).isoformat(" ", "microseconds")
            stop = (
                (begin + timedelta(minutes=45)).replace(tzinfo=None).isoformat(" ", "microseconds")
            )
            charge_point = f"perf-cp-{n % charge_points}"
            tag = f"TAG{n % 100}"
            rows.append(
                (
                    transaction_id,
                    charge_point,
                    1 + n % 2,
                    tag,
                    tag.casefold(),
                    "Accepted",
                    1000 * n,
                    stamp,
                    1000 * n + 15000,
                    stop,
                    "Local",
                    stamp,
                    stop,
                )
            )
            for k in range(per_transaction):
                if written_values >= meter_values:
                    break
                when = (begin + timedelta(seconds=30 * k)).replace(tzinfo=None)
                values.append(
                    (
                        charge_point,
                        1 + n % 2,
                        transaction_id,
                        when.isoformat(" ", "microseconds"),
                        SAMPLED,
                        "MeterValues",
                        stamp,
                    )
                )
                written_values += 1
        connection.execute("BEGIN")
        connection.executemany(
            "INSERT INTO transactions (id, charge_point_id, connector_id, id_tag, id_tag_key,"
            " authorization_status, meter_start, start_timestamp, meter_stop, stop_timestamp,"
            " stop_reason, created_at, stopped_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        connection.executemany(
            "INSERT INTO meter_values (charge_point_id, connector_id, transaction_id, timestamp,"
            " sampled_value, source, received_at) VALUES (?,?,?,?,?,?,?)",
            values,
        )
        connection.execute("COMMIT")
        done = chunk.stop
        print(
            f"\r{done:,} transactions, {written_values:,} meter values,"
            f" {time.monotonic() - began:.0f} s",
            end="",
            flush=True,
        )
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database", help="sqlite:///PATH")
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--meter-values", type=int, default=20_000_000)
    parser.add_argument("--charge-points", type=int, default=1000)
    args = parser.parse_args()
    database = Database(args.database)
    asyncio.run(_migrate(database))
    if database.is_sqlite:
        fill(database.url.database or "", args.transactions, args.meter_values, args.charge_points)
    else:
        asyncio.run(
            fill_postgres(args.database, args.transactions, args.meter_values, args.charge_points)
        )


async def fill_postgres(url: str, transactions: int, meter_values: int, charge_points: int) -> None:
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    per_transaction = max(1, meter_values // max(1, transactions))
    began = time.monotonic()
    try:
        first = await connection.fetchval("SELECT coalesce(max(id), 0) + 1 FROM transactions")
        for chunk_start in range(0, transactions, CHUNK * 4):
            chunk_stop = min(transactions, chunk_start + CHUNK * 4)
            async with connection.transaction():
                await connection.execute(
                    """INSERT INTO transactions (id, charge_point_id, connector_id, id_tag,
                         id_tag_key, authorization_status, meter_start, start_timestamp,
                         meter_stop, stop_timestamp, stop_reason, created_at, stopped_at)
                       SELECT $1 + n, 'perf-cp-' || (n % $4), 1 + n % 2, 'TAG' || (n % 100),
                         'tag' || (n % 100), 'Accepted', 1000 * n,
                         timestamp '2020-01-01' + n * interval '1 minute', 1000 * n + 15000,
                         timestamp '2020-01-01' + n * interval '1 minute' + interval '45 minutes',
                         'Local', timestamp '2020-01-01' + n * interval '1 minute',
                         timestamp '2020-01-01' + n * interval '1 minute' + interval '45 minutes'
                       FROM generate_series($2::bigint, $3::bigint - 1) AS n""",
                    first,
                    chunk_start,
                    chunk_stop,
                    charge_points,
                )
                await connection.execute(
                    """INSERT INTO meter_values (charge_point_id, connector_id, transaction_id,
                         timestamp, sampled_value, source, received_at)
                       SELECT 'perf-cp-' || (n % $4), 1 + n % 2, $1 + n,
                         timestamp '2020-01-01' + n * interval '1 minute' + k * interval '30 s',
                         $5::json, 'MeterValues', timestamp '2020-01-01' + n * interval '1 minute'
                       FROM generate_series($2::bigint, $3::bigint - 1) AS n,
                         generate_series(0, $6 - 1) AS k""",
                    first,
                    chunk_start,
                    chunk_stop,
                    charge_points,
                    SAMPLED,
                    per_transaction,
                )
            print(
                f"\r{chunk_stop:,} transactions, {chunk_stop * per_transaction:,} meter values,"
                f" {time.monotonic() - began:.0f} s",
                end="",
                flush=True,
            )
        # Later inserts must not collide with the ids written here.
        await connection.execute(
            "SELECT setval(pg_get_serial_sequence('transactions', 'id'), max(id)) FROM transactions"
        )
        await connection.execute("ANALYZE transactions")
        await connection.execute("ANALYZE meter_values")
    finally:
        await connection.close()
    print()


async def _migrate(database: Database) -> None:
    await database.migrate()
    await database.dispose()


if __name__ == "__main__":
    main()
