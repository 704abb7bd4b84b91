// A client developer's first flow with the TypeScript SDK that @hey-api/openapi-ts generates
// from openapi.yaml (into ./client, next to this file, in a temporary directory):
// register -> token -> upload -> wait until processed -> list with filters -> download -> delete.
// api/tests/test_generated_clients.py type-checks it with `tsc --strict` and runs it against a live
// server. Environment: API_URL, SAMPLE_PNG (a PNG to upload), USERNAME.
import { readFileSync } from 'node:fs';

import { client } from './client/client.gen';
import {
  deleteFile,
  downloadFile,
  getFile,
  getMe,
  getThumbnail,
  listFiles,
  obtainToken,
  register,
  uploadFile,
} from './client/sdk.gen';
import type { ApiError, FileStatusEnum, StoredFile } from './client/types.gen';

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`flow failed: ${message}`);
}

function env(name: string): string {
  const value = process.env[name];
  check(value !== undefined && value !== '', `${name} is not set`);
  return value;
}

async function waitProcessed(id: string): Promise<StoredFile> {
  const deadline = Date.now() + 60_000;
  const finished: FileStatusEnum[] = ['processed', 'failed'];
  for (;;) {
    const { data } = await getFile({ path: { id }, throwOnError: true });
    if (finished.includes(data.status)) return data;
    check(Date.now() < deadline, `file ${id} still ${data.status} after 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function main(): Promise<void> {
  const username = env('USERNAME');
  const password = 'correct-horse-battery-42';
  let access = '';
  client.setConfig({ baseUrl: env('API_URL'), auth: () => access });

  const registered = await register({ body: { username, email: `${username}@example.com`, password } });
  check(registered.response.status === 201, `register answered ${registered.response.status}`);
  check(registered.data?.username === username, 'register answers the new user');

  const tokens = await obtainToken({ body: { username, password }, throwOnError: true });
  access = tokens.data.access;
  const me = await getMe({ throwOnError: true });
  check(me.data.username === username, 'getMe answers the caller');

  const png = readFileSync(env('SAMPLE_PNG'));
  const upload = () =>
    uploadFile({
      body: { file: new File([png], 'sdk photo.png', { type: 'image/png' }) },
      headers: { 'Idempotency-Key': `${username}-first-upload` },
      throwOnError: true,
    });
  const created = await upload();
  check(created.response.status === 201, 'upload answers 201');
  check(created.response.headers.get('Location')?.endsWith(`/api/v1/files/${created.data.id}/`) === true,
    'upload answers the Location of the file');
  const repeated = await upload();
  check(repeated.data.id === created.data.id, 'a repeated Idempotency-Key answers the first file');

  const processed = await waitProcessed(created.data.id);
  check(processed.status === 'processed' && processed.kind === 'image', `processed as ${processed.status}`);

  const listed = await listFiles({
    query: { status: ['processed'], kind: ['image', 'document'], search: 'sdk photo', ordering: '-uploaded_at' },
    throwOnError: true,
  });
  check(listed.data.count === 1 && listed.data.results[0]?.id === created.data.id, 'the filtered list has it');
  const none = await listFiles({ query: { status: ['failed'] }, throwOnError: true });
  check(none.data.count === 0, 'a status filter excludes it');

  const downloaded = await downloadFile({ path: { id: created.data.id }, throwOnError: true });
  const bytes = Buffer.from(await downloaded.data.arrayBuffer());
  check(bytes.equals(png), 'the download is the uploaded bytes');
  const thumbnail = await getThumbnail({ path: { id: created.data.id }, throwOnError: true });
  check(downloaded.response.headers.get('Content-Disposition')?.startsWith('attachment;') === true,
    'the download is an attachment');
  check(thumbnail.response.headers.get('Content-Type') === 'image/webp', 'the thumbnail is WebP');

  // The signed URL works without the SDK's token, as an <img src> would use it.
  check(processed.thumbnail_url !== null, 'a processed image has a thumbnail_url');
  const signed = await fetch(processed.thumbnail_url);
  check(signed.status === 200 && signed.headers.get('Content-Type') === 'image/webp', 'the signed URL works');

  const deleted = await deleteFile({ path: { id: created.data.id } });
  check(deleted.response.status === 204, `delete answered ${deleted.response.status}`);
  const gone = await getFile({ path: { id: created.data.id } });
  const error: ApiError | undefined = gone.error;
  check(gone.response.status === 404 && error?.code === 'not_found', 'a deleted file is 404 not_found');

  console.log(`FLOW OK ${created.data.id}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
