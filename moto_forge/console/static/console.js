// moto_forge console: uploads (drag and drop), deletes and copyable CIDs.
// Writes go to S3 itself through presigned URLs the console signs for the logged-in key.
"use strict";

const csrf = document.body.dataset.csrf;
const base = document.body.dataset.base;

async function presign(bucket, key, method, contentType) {
  const answer = await fetch(base + "/api/presign", {
    method: "POST",
    headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
    body: JSON.stringify({bucket: bucket, key: key, method: method, content_type: contentType}),
  });
  const body = await answer.json();
  if (!answer.ok) throw new Error(body.error || ("presign failed: " + answer.status));
  return body;
}

function s3Error(text, status) {
  const code = /<Code>([^<]*)<\/Code>/.exec(text);
  const message = /<Message>([^<]*)<\/Message>/.exec(text);
  return (code ? code[1] : "HTTP " + status) + (message ? ": " + message[1] : "");
}

async function upload(zone, files) {
  const status = zone.querySelector(".status");
  const bucket = zone.dataset.bucket;
  const prefix = zone.dataset.prefix;
  let done = 0;
  for (const file of files) {
    const key = prefix + (file.webkitRelativePath || file.name);
    status.textContent = "Uploading " + key + " (" + (done + 1) + " of " + files.length + ")…";
    try {
      const signed = await presign(bucket, key, "PUT", file.type || "application/octet-stream");
      const put = await fetch(signed.url, {method: "PUT", body: file, headers: {"Content-Type": signed.content_type}});
      if (!put.ok) throw new Error(s3Error(await put.text(), put.status));
      done += 1;
    } catch (error) {
      status.textContent = "Upload of " + key + " failed: " + error.message;
      status.classList.add("error");
      return;
    }
  }
  status.textContent = "Uploaded " + done + " file(s).";
  window.location.reload();
}

function setUpDropzone(zone) {
  const input = zone.querySelector("input[type=file]");
  input.addEventListener("change", () => upload(zone, Array.from(input.files)));
  zone.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    upload(zone, Array.from(event.dataTransfer.files));
  });
}

async function remove(button) {
  const key = button.dataset.key;
  if (!window.confirm("Delete " + key + "?")) return;
  try {
    const signed = await presign(button.dataset.bucket, key, "DELETE");
    const answer = await fetch(signed.url, {method: "DELETE"});
    if (!answer.ok) throw new Error(s3Error(await answer.text(), answer.status));
    window.location.reload();
  } catch (error) {
    window.alert("Delete of " + key + " failed: " + error.message);
  }
}

function copy(element) {
  const text = element.dataset.copy;
  const mark = () => { element.classList.add("copied"); setTimeout(() => element.classList.remove("copied"), 800); };
  if (navigator.clipboard) {
    navigator.clipboard.writeText(text).then(mark, () => window.prompt("Copy:", text));
  } else {
    window.prompt("Copy:", text);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const zone = document.getElementById("dropzone");
  if (zone) setUpDropzone(zone);
  for (const button of document.querySelectorAll("button.delete")) {
    button.addEventListener("click", () => remove(button));
  }
  for (const element of document.querySelectorAll("[data-copy]")) {
    element.addEventListener("click", () => copy(element));
  }
});
