/**
 * Recordings: the metadata of each recording file, in the shape of Twilio's Recording resource. The
 * store never touches the file itself: `delete` removes the row and returns it, and the caller (which
 * owns the recordings folder) deletes `filePath`.
 */
import type { Selectable } from 'kysely';
import { DialtoneError, ErrorCodes, newSid } from '../kernel/index.js';
import type { RecordingsTable } from './database-schema.js';
import { type Page, type PageRequest, type TimeRange, fetchPage, whereTimeRange } from './fetch-page.js';
import type { RepositoryContext } from './repository-context.js';
import { isUniqueViolation } from './unique-violation.js';

export type RecordingStatus = 'in-progress' | 'completed' | 'absent' | 'failed';
export type RecordingSource =
  | 'DialVerb'
  | 'RecordVerb'
  | 'OutboundAPI'
  | 'StartCallRecordingAPI'
  | 'Conference'
  | 'Trunking';
export type RecordingTrack = 'inbound' | 'outbound' | 'both';

export interface RecordingRecord {
  sid: string;
  accountSid: string;
  callSid: string | null;
  status: RecordingStatus;
  channels: number;
  /** Whole seconds; null until completed. */
  duration: number | null;
  filePath: string;
  source: RecordingSource;
  track: RecordingTrack;
  startTime: number;
  errorCode: number | null;
  apiVersion: string;
  uri: string;
  dateCreated: number;
  dateUpdated: number;
}

export interface NewRecording {
  sid?: string;
  accountSid: string;
  callSid?: string | null;
  /** Default `in-progress`. */
  status?: RecordingStatus;
  /** Default 1. */
  channels?: number;
  duration?: number | null;
  filePath: string;
  source: RecordingSource;
  /** Default `both`. */
  track?: RecordingTrack;
  /** Default: now. */
  startTime?: number;
}

export type RecordingPatch = Partial<Pick<RecordingRecord, 'status' | 'duration' | 'channels' | 'errorCode' | 'filePath'>>;

export interface RecordingFilter {
  accountSid?: string;
  callSid?: string;
  status?: RecordingStatus;
  dateCreated?: TimeRange;
}

function recordingFromRow(row: Selectable<RecordingsTable>): RecordingRecord {
  return {
    sid: row.sid,
    accountSid: row.account_sid,
    callSid: row.call_sid,
    status: row.status as RecordingStatus,
    channels: row.channels,
    duration: row.duration,
    filePath: row.file_path,
    source: row.source as RecordingSource,
    track: row.track as RecordingTrack,
    startTime: row.start_time,
    errorCode: row.error_code,
    apiVersion: row.api_version,
    uri: row.uri,
    dateCreated: row.date_created,
    dateUpdated: row.date_updated,
  };
}

export class RecordingRepository {
  constructor(private readonly context: RepositoryContext) {}

  async create(input: NewRecording): Promise<RecordingRecord> {
    const now = this.context.clock.now();
    const sid = input.sid ?? newSid('RE');
    const apiVersion = '2010-04-01';
    const row: Selectable<RecordingsTable> = {
      sid,
      account_sid: input.accountSid,
      call_sid: input.callSid ?? null,
      status: input.status ?? 'in-progress',
      channels: input.channels ?? 1,
      duration: input.duration ?? null,
      file_path: input.filePath,
      source: input.source,
      track: input.track ?? 'both',
      start_time: input.startTime ?? now,
      error_code: null,
      api_version: apiVersion,
      uri: `/${apiVersion}/Accounts/${input.accountSid}/Recordings/${sid}.json`,
      date_created: now,
      date_updated: now,
    };
    try {
      await this.context.db.insertInto('recordings').values(row).execute();
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new DialtoneError(ErrorCodes.storeConflict, `recording ${sid} already exists`, { sid }, { cause: error });
      }
      throw error;
    }
    return recordingFromRow(row);
  }

  async get(sid: string): Promise<RecordingRecord | undefined> {
    const row = await this.context.db.selectFrom('recordings').selectAll().where('sid', '=', sid).executeTakeFirst();
    return row === undefined ? undefined : recordingFromRow(row);
  }

  /** Undefined when there is no such recording. */
  async update(sid: string, patch: RecordingPatch): Promise<RecordingRecord | undefined> {
    const changes: Partial<Selectable<RecordingsTable>> = { date_updated: this.context.clock.now() };
    if (patch.status !== undefined) changes.status = patch.status;
    if (patch.duration !== undefined) changes.duration = patch.duration;
    if (patch.channels !== undefined) changes.channels = patch.channels;
    if (patch.errorCode !== undefined) changes.error_code = patch.errorCode;
    if (patch.filePath !== undefined) changes.file_path = patch.filePath;
    const result = await this.context.db.updateTable('recordings').set(changes).where('sid', '=', sid).executeTakeFirst();
    if (result.numUpdatedRows === 0n) return undefined;
    return this.get(sid);
  }

  /** Newest first; see fetch-page.ts. */
  async list(filter: RecordingFilter = {}, request: PageRequest = {}): Promise<Page<RecordingRecord>> {
    let query = this.context.db.selectFrom('recordings').selectAll();
    if (filter.accountSid !== undefined) query = query.where('account_sid', '=', filter.accountSid);
    if (filter.callSid !== undefined) query = query.where('call_sid', '=', filter.callSid);
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    query = whereTimeRange(query, 'date_created', filter.dateCreated);
    return fetchPage(query, request, recordingFromRow);
  }

  /** Removes the row and returns it (so the caller can delete its file); undefined if there was none. */
  async delete(sid: string): Promise<RecordingRecord | undefined> {
    return this.context.atomically(async (context) => {
      const row = await context.db.selectFrom('recordings').selectAll().where('sid', '=', sid).executeTakeFirst();
      if (row === undefined) return undefined;
      await context.db.deleteFrom('recordings').where('sid', '=', sid).execute();
      return recordingFromRow(row);
    });
  }
}
