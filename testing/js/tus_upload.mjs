// Upload a file with tus-js-client as a Node app would, remembering its upload URL on disk.
//
//   node tus_upload.mjs <endpoint> <token> <file> <url-storage.json> <chunk-bytes> [die-after-bytes]
//
// With die-after-bytes the process SIGKILLs itself once that many bytes were acknowledged
// (an app killed by the OS: no cleanup, nothing flushed). Run again without it: the stored
// URL is found with findPreviousUploads and the upload resumes from the server's offset.
// Prints one JSON line per event: {"event": "resumed-from" | "chunk" | "done" | "error", ...}.
import fs from "node:fs";
import { FileUrlStorage, Upload } from "tus-js-client";

const [endpoint, token, path, storagePath, chunkSize, dieAfter] = process.argv.slice(2);
const say = (event, fields = {}) => console.log(JSON.stringify({ event, ...fields }));

const upload = new Upload(fs.createReadStream(path), {
  endpoint,
  chunkSize: Number(chunkSize),
  headers: { Authorization: `Bearer ${token}` },
  metadata: { filename: "from-node.bin", filetype: "application/x-ignored" },
  urlStorage: new FileUrlStorage(storagePath),
  retryDelays: [0, 500, 1000, 2000],
  removeFingerprintOnSuccess: true,
  onAfterResponse(req, res) {
    if (req.getMethod() === "HEAD") say("resumed-from", { offset: Number(res.getHeader("Upload-Offset")) });
  },
  onChunkComplete(chunk, accepted, total) {
    say("chunk", { accepted, total });
    if (dieAfter && accepted >= Number(dieAfter)) process.kill(process.pid, "SIGKILL");
  },
  onSuccess() { say("done", { url: upload.url }); },
  onError(error) { say("error", { message: String(error) }); process.exitCode = 1; },
});

const previous = await upload.findPreviousUploads();
if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
upload.start();
