"""The demo prison's perimeter, written as YAML text for :mod:`warden.demo.generate`.

Two fences ring the site with a sterile zone between them. The outer fence has
16 segments on one perimeter intrusion detection processor, the inner fence 12 on
another; each processor is an OPC UA server reached on loopback. Eight cameras
on poles between the fences each cover a stretch of both fences.
"""

from __future__ import annotations

from dataclasses import dataclass

PROFILE_ID = "fenceline-fp16"
NAMESPACE = "urn:fenceline:fp16"
ZONE = "PERIMETER"
ZONE_LINE = (
    "  - {id: PERIMETER, kind: zone, name: Sterile zone between the inner and outer "
    "fences, parent: ARCC}"
)
CHANNELS = 16
FIRST_PORT = 4841
CAMERAS = 8


@dataclass(frozen=True)
class Fence:
    line: str
    prefix: str
    processor: str
    processor_name: str
    segments: int


FENCES = (
    Fence("outer", "OF", "PP-OUTER", "Outer fence detection processor", 16),
    Fence("inner", "IF", "PP-INNER", "Inner fence detection processor", 12),
)

_SIDES = ("north", "east", "south", "west")


def _segment_name(fence: Fence, number: int) -> str:
    per_side = fence.segments // len(_SIDES)
    side = _SIDES[(number - 1) // per_side]
    return f"{fence.line.capitalize()} fence, {side} side, panel run {number}"


def _cameras_for(fence: Fence, number: int) -> list[str]:
    """Cameras stand evenly round the ring; a segment is seen by the camera
    nearest its middle and, at a boundary between two, by both."""
    position = (number - 0.5) / fence.segments * CAMERAS
    nearest = int(position) % CAMERAS + 1
    found = [nearest]
    fraction = position - int(position)
    if fraction < 0.25:
        found.append((nearest - 2) % CAMERAS + 1)
    elif fraction > 0.75:
        found.append(nearest % CAMERAS + 1)
    return [f"CAM-P{camera:02d}" for camera in found]


def device_lines() -> list[str]:
    """The two processors and the perimeter cameras, as ``devices:`` items."""
    out = ["  # Perimeter intrusion detection processors (OPC UA) and cameras."]
    for port, fence in enumerate(FENCES, start=FIRST_PORT):
        out += [
            f"  - id: {fence.processor}",
            f"    name: {fence.processor_name}",
            "    kind: perimeter_processor",
            "    location: GH-CCR",
            "    protocol: opcua",
            f"    profile: {PROFILE_ID}",
            f'    endpoint: {{url: "opc.tcp://127.0.0.1:{port}/fenceline"}}',
            "    poll_interval_s: 1.0",
            "    timeout_s: 2.0",
        ]
    for camera in range(1, CAMERAS + 1):
        out.append(
            f"  - {{id: CAM-P{camera:02d}, name: Perimeter camera {camera}, "
            f"kind: camera, protocol: none, location: {ZONE}}}"
        )
    return out


def segment_lines() -> list[str]:
    """Every fence segment, as ``fence_segments:`` items, in ring order."""
    out: list[str] = []
    for fence in FENCES:
        out.append(
            f"  # {fence.line.capitalize()} fence: channel n of {fence.processor} "
            f"watches segment {fence.prefix}-n."
        )
        for number in range(1, fence.segments + 1):
            point = f"{fence.processor}/zone{number:02d}"
            cameras = ", ".join(_cameras_for(fence, number))
            out += [
                f"  - id: {fence.prefix}-{number:02d}",
                f"    name: {_segment_name(fence, number)}",
                f"    fence: {fence.line}",
                f"    zone: {ZONE}",
                "    bindings:",
                f"      alarm: {point}_alarm",
                f"      tamper: {point}_tamper",
                f"      fault: {point}_fault",
                f"      signal: {point}_signal",
                f"    cameras: [{cameras}]",
            ]
    return out


def profile_yaml() -> str:
    """The processors' OPC UA profile."""
    node = f"nsu={NAMESPACE};s="
    lines = [
        "# Fence-mounted intrusion detection processor with 16 zones (a fictional",
        "# 'Fenceline FP-16'). Written by warden/demo/generate.py.",
        "#",
        "# Its OPC UA server puts each zone's variables under Zone<nn> in its own",
        "# namespace; the namespace index differs between firmware versions, so",
        "# nodes are addressed by namespace URI.",
        f"id: {PROFILE_ID}",
        "protocol: opcua",
        "vendor: Fenceline",
        "model: FP-16",
        "description: >-",
        "  Perimeter intrusion detection processor for fence-mounted vibration",
        "  sensor cable, 16 detection zones. Per zone: alarm (an intrusion is being",
        "  detected), tamper (sensor enclosure or cable tampered with), fault",
        "  (sensor cable broken or shorted) and the signal level in percent of the",
        "  alarm threshold response.",
        "sampling_interval_s: 0.1",
        "queue_size: 10",
        "points:",
    ]
    for zone in range(1, CHANNELS + 1):
        name, ident = f"zone{zone:02d}", f"Zone{zone:02d}"
        lines += [
            f'  - {{name: {name}_alarm, node: "{node}{ident}.Alarm"}}',
            f'  - {{name: {name}_tamper, node: "{node}{ident}.Tamper"}}',
            f'  - {{name: {name}_fault, node: "{node}{ident}.Fault"}}',
            f'  - {{name: {name}_signal, node: "{node}{ident}.Signal", '
            "data_type: float32, unit: '%', sampling_interval_s: 0.5}",
        ]
    lines += [
        "  # The processor itself.",
        f'  - {{name: heartbeat, node: "{node}Processor.Heartbeat", '
        "data_type: uint32, sampling_interval_s: 1.0}",
        f'  - {{name: health, node: "{node}Processor.Healthy"}}',
        f'  - {{name: cabinet_temperature, node: "{node}Processor.CabinetTemperature", '
        "data_type: float32, unit: degC, acquisition: poll, sampling_interval_s: 5.0}",
        f'  - {{name: siren, node: "{node}Outputs.Siren", writable: true}}',
        "  # ServerStatus/State from the OPC UA standard namespace (0 = running).",
        '  - {name: server_state, node: "i=2259", data_type: int32}',
    ]
    return "\n".join(lines) + "\n"
