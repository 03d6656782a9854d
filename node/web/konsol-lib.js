// konsol-lib.js - what the console's views share: the signed-in officer
// (state), names of statuses and actions in both languages, the directory
// tree (subtrees, ancestors), and deadlines counted in working days with
// the node's calendar (GET /v1/calendar/{year}: Monday to Friday in WIB,
// minus the national holidays and cuti bersama the directory publishes).
import { api, t } from './common.js';

// The running console: session (officer.js), directory, the officer's
// enrolment {inst, key, name, role}.
export const ctx = { session: null, dir: null, me: null };

export const STATUS = {
  diterima: ['diterima', 'received'], diverifikasi: ['diverifikasi', 'verified'], tunda: ['ditunda', 'on hold'],
  diarsipkan: ['diarsipkan', 'archived'], didisposisikan: ['didisposisikan', 'forwarded'],
  ditindaklanjuti: ['ditindaklanjuti', 'answered'], selesai: ['selesai', 'closed'], digabung: ['digabung', 'merged'],
};
export const ACTION = {
  verifikasi: ['Verifikasi', 'Verify'], tunda: ['Tunda (perlu informasi)', 'Put on hold'],
  arsip: ['Arsipkan (selesai tanpa tindak lanjut)', 'Archive (finish without follow-up)'],
  disposisi: ['Teruskan (disposisi)', 'Forward (disposisi)'], bukan_wewenang: ['Bukan wewenang', 'Not in our remit'],
  tindak_lanjut: ['Jawab (tindak lanjut)', 'Answer (follow-up)'], ambil_alih: ['Ambil alih', 'Take over'],
  gabung: ['Gabungkan ke duplikat', 'Merge into a duplicate'], balas: ['pelapor menambah informasi', 'reporter added information'],
  selesai: ['pelapor menerima jawaban', 'reporter accepted the answer'],
  buka_kembali: ['pelapor membuka kembali', 'reporter reopened'], nilai: ['pelapor memberi nilai', 'reporter rated'],
};
export const ROLE = { admin: ['admin instansi', 'institution admin'], penghubung: ['pejabat penghubung', 'liaison officer'] };
export const STAGE = { 1: ['verifikasi', 'verification'], 2: ['jawaban', 'answer'], 3: ['batas akhir', 'final ceiling'],
  4: ['masa tanggapan pelapor', 'reporter\'s window'] };
export const tr = (pair, k) => (pair ? t(pair[0], pair[1]) : k);
export const OPEN_STATUSES = ['diterima', 'diverifikasi', 'tunda', 'didisposisikan', 'ditindaklanjuti'];

export function inst(id) { return ctx.dir.institutions.find((x) => x.id === id); }
export function instLabel(id) { const i = inst(id); return i ? `${i.name} (${id})` : id; }

// children and subtree (ids below `id`, not id itself) in the directory.
export function children(id) { return ctx.dir.institutions.filter((x) => x.parent === id); }
export function subtree(id) {
  const out = [];
  for (const c of children(id)) out.push(c.id, ...subtree(c.id));
  return out;
}
export function ancestors(id) {
  const out = [];
  for (let i = inst(id); i && i.parent && out.length < 16; i = inst(i.parent)) out.push(i.parent);
  return out;
}

// ---- working days ----

const cals = new Map();
async function holidays(year) {
  if (!cals.has(year)) {
    cals.set(year, api('/v1/calendar/' + year).then((c) => new Set(c.weekday_holidays)).catch(() => new Set()));
  }
  return cals.get(year);
}

const WIB = 7 * 3600 * 1000, DAY = 86400000;
function wibDay(ms) { return Math.floor((ms + WIB) / DAY); } // days since the epoch, in WIB

async function working(day) {
  const d = new Date(day * DAY);
  const wd = d.getUTCDay();
  if (wd === 0 || wd === 6) return false;
  const ymd = d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
  return !(await holidays(d.getUTCFullYear())).has(ymd);
}

// workdays counts working days among the WIB days [from, to).
async function workdays(from, to) {
  let n = 0;
  for (let d = from; d < to && d - from < 800; d++) if (await working(d)) n++;
  return n;
}

// deadlineText: how much time is left before a deadline (which falls at
// 00:00 WIB after the last working day it allows), in working days; or by
// how many working days it was missed. {text, late}.
export async function deadlineText(deadline, now = Date.now()) {
  if (!deadline) return { text: t('tidak ada batas waktu', 'no deadline'), late: false };
  const today = wibDay(now), dd = wibDay(deadline);
  if (now < deadline) {
    const n = await workdays(today, dd);
    return { text: n <= 1 ? t('batas hari ini', 'due today') : t(`sisa ${n} hari kerja`, `${n} working days left`), late: false };
  }
  const n = Math.max(1, await workdays(dd, today + 1));
  return { text: t(`terlambat ${n} hari kerja`, `${n} working day(s) late`), late: true };
}
