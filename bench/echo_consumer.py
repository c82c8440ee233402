"""The bare baseline of bench_evaluation_socket.py: a Channels consumer that does nothing but relay.

Each socket of `ws/bench-echo/<group>/` joins channel-layer group `bench-echo-<group>`; every JSON message
it receives is group_sent, as it came, to the whole group, and every member sends it on as
`{"type": "echo", "data": <the message>}`. No database, no permission, no ordering: what any Channels
event costs on the same server processes, clients and channel layer.
"""

from channels.generic.websocket import AsyncJsonWebsocketConsumer


class EchoConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.group = f"bench-echo-{self.scope['url_route']['kwargs']['group']}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        await self.channel_layer.group_send(self.group, {"type": "echo.message", "data": content})

    async def echo_message(self, event):
        await self.send_json({"type": "echo", "data": event["data"]})
