"""Counts the consumers of each client over the whole service and decides each consumer site.

A site is rewritten only when every client it may read has exactly one consumer in the service;
several consumers of one client are listed (aiomqtt 2 would split its messages between them), and a
site whose client cannot be traced is listed with the reason the trace stopped.
"""
from __future__ import annotations

from collections import Counter

from . import rules
from .clients import ClientBinding
from .consumers import ConsumerSite, Verdict
from .service_flow import AnalysedFile, ClientFlow, ServiceFlow


def judge_consumers(flow: ServiceFlow, sites: list[tuple[AnalysedFile, ConsumerSite]]) -> dict[ConsumerSite, Verdict]:
    flows: dict[ConsumerSite, ClientFlow] = {site: flow.clients_of(file, site.receiver) for file, site in sites}
    totals: Counter = Counter()
    readers: dict[ClientBinding, list[str]] = {}
    for (file, site), client_flow in zip(sites, flows.values()):
        totals.update(client_flow.origins)
        for origin in client_flow.origins:
            readers.setdefault(origin, []).append(f"{file.path}:{file.source.line(site.statement)}")
    return {site: _verdict(flow, file, site, flows[site], totals, readers) for file, site in sites}


def _verdict(flow: ServiceFlow, file: AnalysedFile, site: ConsumerSite, client_flow: ClientFlow,
             totals: Counter, readers: dict[ClientBinding, list[str]]) -> Verdict:
    shared = [origin for origin in client_flow.origins if totals[origin] > 1]
    if shared:
        origin = shared[0]
        through = f"; {', '.join(dict.fromkeys(client_flow.via))}" if client_flow.via else ""
        return Verdict(rules.SEVERAL_CONSUMERS, several=True, reason=(
            f"{totals[origin]} consumers read the client {flow.where(origin)} (at "
            f"{', '.join(readers[origin])}{through}); aiomqtt 2 has one client-wide queue, so each message "
            "would reach only one of them."))
    if client_flow.unknown:
        traced = bool(client_flow.origins) or file.index.resolve(site.receiver) is not None
        rule = rules.SEVERAL_CONSUMERS if traced else rules.STREAM_NOT_REWRITABLE
        return Verdict(rule, reason="; ".join(dict.fromkeys(client_flow.unknown)) + (
            ". It may have other consumers." if traced else
            ". The codemod cannot tell whether it has other consumers."))
    constructions = {origin.construction for origin in client_flow.origins}
    single = constructions.pop() if len(constructions) == 1 else None
    created_in = flow.file_of(single) if single is not None else None
    return Verdict(construction=single if created_in is not None else None,
                   construction_path=created_in.path if created_in is not None else None)
