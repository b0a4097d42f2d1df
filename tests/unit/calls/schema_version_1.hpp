// The calls schema at version 1, as voice-agent shipped it before migration 2
// (turn_metrics.llm_first_token_ms), frozen here so the stores' tests can build a database an older release
// left behind and check that the current build migrates it in place. Never edit these to follow the stores'
// kMigrations: they are history. Each is the whole of migration 1; a database built from one also needs
// `schema_version` at 1 (kSchemaVersion1Marker).
#pragma once

namespace va::calls::test {

inline constexpr const char* kSchemaVersion1Marker =
    "CREATE TABLE schema_version (version integer NOT NULL); INSERT INTO schema_version VALUES (1);";

// src/calls/sqlite_store.cpp kMigrations[0].
inline constexpr const char* kSqliteSchemaVersion1 = R"sql(
CREATE TABLE calls (
  id TEXT PRIMARY KEY,
  direction TEXT NOT NULL,
  source TEXT NOT NULL,
  state TEXT NOT NULL,
  end_reason TEXT,
  sip_status INTEGER,
  caller TEXT NOT NULL,
  called TEXT NOT NULL,
  trunk TEXT NOT NULL,
  room TEXT NOT NULL,
  participant_identity TEXT NOT NULL,
  sip_call_id TEXT NOT NULL,
  flow TEXT NOT NULL,
  instance TEXT NOT NULL,
  attributes TEXT NOT NULL,
  recordings TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  answered_at INTEGER,
  ended_at INTEGER
);
CREATE INDEX calls_by_time ON calls (created_at DESC, id DESC);
CREATE INDEX calls_by_state ON calls (state, created_at DESC, id DESC);
CREATE INDEX calls_by_direction ON calls (direction, created_at DESC, id DESC);
CREATE INDEX calls_by_caller ON calls (caller, created_at DESC, id DESC);
CREATE INDEX calls_by_called ON calls (called, created_at DESC, id DESC);
CREATE INDEX calls_by_instance ON calls (instance, state);
CREATE INDEX calls_by_sip_call_id ON calls (sip_call_id, created_at DESC);
CREATE TABLE transitions (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  call_id TEXT NOT NULL REFERENCES calls (id),
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  at INTEGER NOT NULL,
  reason TEXT,
  sip_status INTEGER,
  detail TEXT NOT NULL
);
CREATE INDEX transitions_of_call ON transitions (call_id, seq);
CREATE TABLE transcript_segments (
  call_id TEXT NOT NULL REFERENCES calls (id),
  seq INTEGER NOT NULL,
  speaker TEXT NOT NULL,
  text TEXT NOT NULL,
  start_ms INTEGER NOT NULL,
  end_ms INTEGER NOT NULL,
  interrupted INTEGER NOT NULL,
  cut_ms INTEGER
);
CREATE INDEX transcript_of_call ON transcript_segments (call_id, seq);
CREATE TABLE turn_metrics (
  call_id TEXT NOT NULL REFERENCES calls (id),
  turn INTEGER NOT NULL,
  total_ms REAL,
  endpointing_ms REAL,
  end_of_speech_to_final_ms REAL,
  final_to_reply_ms REAL,
  reply_to_first_audio_ms REAL,
  first_audio_to_first_frame_ms REAL,
  recognition_ms REAL
);
CREATE INDEX turns_of_call ON turn_metrics (call_id, turn);
CREATE TABLE dtmf (
  call_id TEXT NOT NULL REFERENCES calls (id),
  digit TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  source TEXT NOT NULL
);
CREATE INDEX dtmf_of_call ON dtmf (call_id, at_ms);
CREATE TABLE outbound_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  call_id TEXT NOT NULL REFERENCES calls (id),
  type TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  delivered_at INTEGER,
  last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_of_call ON outbound_events (call_id, id);
CREATE INDEX events_pending ON outbound_events (call_id, id) WHERE delivered_at IS NULL;
CREATE INDEX events_due ON outbound_events (next_attempt_at, id) WHERE delivered_at IS NULL;
)sql";

// src/calls/postgres_store.cpp kMigrations[0].
inline constexpr const char* kPostgresSchemaVersion1 = R"sql(
CREATE TABLE calls (
  id text COLLATE "C" PRIMARY KEY,
  direction text NOT NULL,
  source text NOT NULL,
  state text NOT NULL,
  end_reason text,
  sip_status integer,
  caller text NOT NULL,
  called text NOT NULL,
  trunk text NOT NULL,
  room text NOT NULL,
  participant_identity text NOT NULL,
  sip_call_id text NOT NULL,
  flow text NOT NULL,
  instance text NOT NULL,
  attributes jsonb NOT NULL,
  recordings jsonb NOT NULL,
  created_at bigint NOT NULL,
  answered_at bigint,
  ended_at bigint
);
CREATE INDEX calls_by_time ON calls (created_at DESC, id DESC);
CREATE INDEX calls_by_state ON calls (state, created_at DESC, id DESC);
CREATE INDEX calls_by_direction ON calls (direction, created_at DESC, id DESC);
CREATE INDEX calls_by_caller ON calls (caller, created_at DESC, id DESC);
CREATE INDEX calls_by_called ON calls (called, created_at DESC, id DESC);
CREATE INDEX calls_by_instance ON calls (instance, state);
CREATE INDEX calls_by_sip_call_id ON calls (sip_call_id, created_at DESC);
CREATE TABLE transitions (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  call_id text COLLATE "C" NOT NULL REFERENCES calls (id),
  from_state text NOT NULL,
  to_state text NOT NULL,
  at bigint NOT NULL,
  reason text,
  sip_status integer,
  detail text NOT NULL
);
CREATE INDEX transitions_of_call ON transitions (call_id, seq);
CREATE TABLE transcript_segments (
  row_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  call_id text COLLATE "C" NOT NULL REFERENCES calls (id),
  seq bigint NOT NULL,
  speaker text NOT NULL,
  text text NOT NULL,
  start_ms bigint NOT NULL,
  end_ms bigint NOT NULL,
  interrupted boolean NOT NULL,
  cut_ms bigint
);
CREATE INDEX transcript_of_call ON transcript_segments (call_id, seq);
CREATE TABLE turn_metrics (
  row_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  call_id text COLLATE "C" NOT NULL REFERENCES calls (id),
  turn bigint NOT NULL,
  total_ms double precision,
  endpointing_ms double precision,
  end_of_speech_to_final_ms double precision,
  final_to_reply_ms double precision,
  reply_to_first_audio_ms double precision,
  first_audio_to_first_frame_ms double precision,
  recognition_ms double precision
);
CREATE INDEX turns_of_call ON turn_metrics (call_id, turn);
CREATE TABLE dtmf (
  row_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  call_id text COLLATE "C" NOT NULL REFERENCES calls (id),
  digit text NOT NULL,
  at_ms bigint NOT NULL,
  duration_ms bigint NOT NULL,
  source text NOT NULL
);
CREATE INDEX dtmf_of_call ON dtmf (call_id, at_ms);
CREATE TABLE outbound_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  call_id text COLLATE "C" NOT NULL REFERENCES calls (id),
  type text NOT NULL,
  payload text NOT NULL,
  created_at bigint NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at bigint,
  delivered_at bigint,
  last_error text NOT NULL DEFAULT ''
);
CREATE INDEX events_of_call ON outbound_events (call_id, id);
CREATE INDEX events_pending ON outbound_events (call_id, id) WHERE delivered_at IS NULL;
CREATE INDEX events_due ON outbound_events (next_attempt_at, id) WHERE delivered_at IS NULL;
)sql";

}  // namespace va::calls::test
