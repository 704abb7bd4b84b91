// A single-page app on another origin, as a client developer would write it with Uppy 6
// (@uppy/core + @uppy/xhr-upload). esbuild bundles it for headless Chromium (testing/npm.py);
// the browser tests drive it through the functions on `window`.
import Uppy from '@uppy/core';
import XHRUpload from '@uppy/xhr-upload';

function randomBytes(size) {
  const bytes = new Uint8Array(size);
  for (let offset = 0; offset < size; offset += 65536) {
    crypto.getRandomValues(bytes.subarray(offset, Math.min(offset + 65536, size)));
  }
  return bytes;
}

function decode(base64) {
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

// Upload one file with Uppy; answers what the page can see of the outcome.
window.uploadWithUppy = async ({ api, token, name, type, base64, randomSize, idempotencyKey }) => {
  const headers = { Authorization: `Bearer ${token}` };
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  const uppy = new Uppy({ autoProceed: false });
  uppy.use(XHRUpload, { endpoint: `${api}/api/v1/upload/`, fieldName: 'file', formData: true, headers, limit: 1 });
  let progressEvents = 0;
  const errors = [];
  uppy.on('upload-progress', () => { progressEvents += 1; });
  uppy.on('upload-error', (file, error, request) => {
    let body = null;
    try { body = JSON.parse(request?.responseText ?? ''); } catch { body = null; }
    errors.push({ status: request?.status ?? null, body, message: String(error?.message ?? error) });
  });
  const bytes = base64 ? decode(base64) : randomBytes(randomSize);
  uppy.addFile({ name, type, data: new Blob([bytes], { type }) });
  const result = await uppy.upload();
  const uploaded = (result?.successful ?? []).map((file) => ({ status: file.response.status, body: file.response.body }));
  uppy.destroy();
  return { uploaded, failed: (result?.failed ?? []).length, errors, progressEvents };
};

// Wait until the file is processed (polling with the token), then show its thumbnail with
// <img src> from the signed thumbnail_url: no token, no blob.
window.showThumbnail = async ({ api, token, id }) => {
  let file;
  for (let attempt = 0; attempt < 300; attempt += 1) {
    const response = await fetch(`${api}/api/v1/files/${id}/`, { headers: { Authorization: `Bearer ${token}` } });
    file = await response.json();
    if (file.status === 'processed' || file.status === 'failed') break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const img = document.createElement('img');
  img.id = 'thumbnail';
  img.alt = file.name;
  const loaded = new Promise((resolve) => {
    img.onload = () => resolve({ loaded: true, width: img.naturalWidth, height: img.naturalHeight });
    img.onerror = () => resolve({ loaded: false, width: 0, height: 0 });
  });
  img.src = file.thumbnail_url;
  document.body.appendChild(img);
  return { file, image: await loaded };
};

// A cross-origin fetch of a download: its status, the name it carries, its size.
window.fetchDownload = async ({ url, token }) => {
  const response = await fetch(url, token ? { headers: { Authorization: `Bearer ${token}` } } : {});
  const size = (await response.arrayBuffer()).byteLength;
  return { status: response.status, disposition: response.headers.get('Content-Disposition'), size };
};
