"""The emulator's files.getUploadURLExternal, the upload and download URLs, files.completeUploadExternal, files.info."""

from __future__ import annotations

import time
from typing import Any, ClassVar

from aiohttp import web

from emulator.ratelimit import (
    CallRecord,
)
from emulator.state import File, Message, new_id
from emulator.webapi.core import Call, SlackError, WebApiCore


class FileMethods(WebApiCore):
    """files.getUploadURLExternal, the upload and download URLs, files.completeUploadExternal, files.info."""

    METHOD_ATTRS: ClassVar[dict[str, str]] = {
        "files.getUploadURLExternal": "files_get_upload_url_external",
        "files.completeUploadExternal": "files_complete_upload_external",
        "files.info": "files_info",
    }

    def add_routes(self, app: web.Application) -> None:
        """The Web API routes, and the URLs files are uploaded to and read from."""
        super().add_routes(app)
        app.router.add_post("/_upload/{file_id}", self.upload)
        app.router.add_get("/_files/{file_id}/{name}", self.download)

    async def files_get_upload_url_external(self, call: Call) -> dict[str, Any]:
        """Reserve a file id and hand out the URL to upload its bytes to."""
        filename = call.require("filename")
        length = call.integer("length", -1)
        if length < 0:
            raise SlackError("invalid_arguments")
        file = File(
            id=new_id("F"),
            name=str(filename),
            length=length,
            user=call.actor,
            alt_txt=call.get("alt_txt"),
        )
        self.state.files[file.id] = file
        return {"upload_url": f"{self.base_url}/_upload/{file.id}", "file_id": file.id}

    async def upload(self, request: web.Request) -> web.Response:
        """Receive a file's bytes at its upload URL, as files.slack.com does."""
        file = self.state.files.get(request.match_info["file_id"])
        if file is None or file.completed:
            return web.Response(status=404, text="not found", content_type="text/plain")
        if request.content_type == "multipart/form-data":
            form = await request.post()
            content = b""
            for value in form.values():
                if hasattr(value, "file"):
                    content = value.file.read()
                    break
        else:
            content = await request.read()
        file.content = content
        self.calls.add(
            CallRecord(seq=0, method="files.upload_url", at=time.time(), status=200, ok=True)
        )
        return web.Response(text=f"OK - {len(content)}", content_type="text/plain")

    async def download(self, request: web.Request) -> web.Response:
        """Serve an uploaded file's bytes."""
        file = self.state.files.get(request.match_info["file_id"])
        if file is None or file.content is None:
            raise web.HTTPNotFound()
        return web.Response(body=file.content, content_type=file.mimetype)

    async def files_complete_upload_external(self, call: Call) -> dict[str, Any]:
        """Finish uploads and share the files in a conversation, like Slack's v2 upload."""
        items = call.get("files")
        if not isinstance(items, list) or not items:
            raise SlackError("invalid_arguments")
        files: list[File] = []
        for item in items:
            file = self.state.files.get(str(item.get("id", "")))
            if file is None or file.content is None or file.user != call.actor:
                raise SlackError("file_not_found")
            if item.get("title"):
                file.title = str(item["title"])
            files.append(file)
        targets = call.id_list("channels") or (
            [str(call.get("channel_id"))] if call.get("channel_id") else []
        )
        channels = [self._conversation(ref, call, open_im=True) for ref in targets]
        for channel in channels:
            self._check_can_post(channel, call)
        for file in files:
            file.completed = True
        for channel in channels:
            for file in files:
                file.channels.append(channel.id)
            message = Message(
                channel=channel.id,
                ts=self.state.next_ts(),
                user=call.actor,
                text=str(call.get("initial_comment") or ""),
                thread_ts=call.get("thread_ts"),
                bot_id=self.config.bot_id,
                files=[f.to_slack(self.base_url) for f in files],
            )
            self.state.add_message(message)
            call.ts = message.ts
        self.state.touch()
        return {"files": [f.to_slack(self.base_url) for f in files]}

    async def files_info(self, call: Call) -> dict[str, Any]:
        """Describe an uploaded file."""
        file = self.state.files.get(str(call.get("file", "")))
        if file is None or not file.completed:
            raise SlackError("file_not_found")
        return {
            "file": file.to_slack(self.base_url),
            "comments": [],
            "response_metadata": {"next_cursor": ""},
        }
