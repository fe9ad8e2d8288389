/** Grading feedback a student understands, in English and Chinese. Frames and states are cited. */

export type Lang = 'en' | 'zh';

type Who = 'client' | 'server';
type WS = { client: number; server: number } | null;

/** Why a file could not be read as a capture, for words of the feedback's own language. */
export type NotReadable =
  | { kind: 'empty' | 'not-capture' | 'unreadable' }
  | { kind: 'archive'; format: string; unpack: string };

export interface Feedback {
  /** `msg`: the reader's message (English); `why`: what kind of file it is. */
  notACapture(msg: string, why: NotReadable): string;
  /** `encrypted`: how many of the frames are encrypted (IPsec ESP, protected 802.11). */
  noTcp(frames: number, encrypted: number): string;
  /** The file is damaged at frame `frame`: only the `read` frames before it were graded. */
  damaged(frame: number, read: number): string;
  noMatch(host: string | undefined, port: number | undefined, flows: number): string;
  /** `flows`: the connections in the capture, or those matching the host and port given when `filtered`. */
  picked(id: number, client: string, server: string, filtered: boolean, flows: number): string;
  duplicate(others: string[]): string;
  completeOk(frame: number): string;
  completeNo(first: number | null): string;
  /** No SYN of the client's in the capture, which begins at frame `first`. */
  completeNoSyn(first: number | null): string;
  /** No segment of `silent` was captured (a one-sided capture). */
  oneSided(silent: Who): string;
  /** Nothing `who` sent is in the capture, so what it did cannot be checked. */
  sideNotCaptured(who: Who): string;
  noSyn(): string;
  /** No SYN, but the third segment acknowledges the SYN+ACK correctly. */
  thirdOkAlone(thirdFrame: number, synAckFrame: number): string;
  noSynAck(synFrame: number, clientState: string): string;
  /** An ICMP error (a router or firewall) answered the SYN. */
  icmpRefused(synFrame: number, icmpFrame: number, icmp: string, clientState: string): string;
  badSynAck(frame: number, relAck: number): string;
  noThird(synAckFrame: number, serverState: string): string;
  /** A RST answered the SYN instead of a SYN+ACK. */
  refused(synFrame: number, rstFrame: number, clientState: string): string;
  /** A RST after the SYN+ACK, before the third segment. */
  handshakeReset(synAckFrame: number, rstFrame: number, who: Who, serverState: string): string;
  badThird(frame: number, relAck: number): string;
  handshakeOk(f1: number, f2: number, f3: number, isnC: number, isnS: number, pathC: string, pathS: string): string;
  /** The SYN or the SYN+ACK was sent more than once (lost, or answered late). */
  handshakeRepeated(synFrames: number[], synAckFrames: number[]): string;
  whyHandshake(): string;
  optionsOk(mssC: number, mssS: number, ws: WS, sack: boolean, ts: boolean): string;
  optionsNo(mssC: number | null, mssS: number | null): string;
  /** The SYN or the SYN+ACK that would carry the MSS is not in the capture. */
  optionsNoSyn(noSyn: boolean, noSynAck: boolean): string;
  dataBoth(c2s: number, s2c: number): string;
  dataOneWay(c2s: number, s2c: number, silent: Who | null): string;
  gaps(frames: number[]): string;
  noGaps(): string;
  /** No data at all: nothing to be complete about. */
  noDataNoGapPoints(): string;
  noFin(stateC: string, stateS: string): string;
  /** No FIN either way: a RST ended the connection. */
  noFinReset(rstFrame: number, who: Who): string;
  finMissing(who: Who, state: string): string;
  finNotAcked(who: Who, frame: number, relSeq: number): string;
  /** The side that would acknowledge the FIN is not in the capture. */
  finAckNotCaptured(who: Who, frame: number, acker: Who): string;
  finAcked(who: Who, finFrame: number, ackFrame: number): string;
  closer(closedBy: string): string;
  whyTeardown(): string;
  /** Marks a state reached through a RST in a path of states. */
  byRst(): string;
  simultaneousTw(ok: boolean, pathC: string, pathS: string): string;
  timeWait(active: Who, activeOk: boolean, activePath: string, passive: Who, passiveOk: boolean, passivePath: string): string;
  /** A one-sided capture: TIME_WAIT and LAST_ACK cannot be seen. */
  timeWaitUnseen(silent: Who): string;
  noClose(): string;
  whyTimeWait(): string;
  rst(frames: number[], who: Who): string;
  /** RSTs after the close was complete, to an endpoint in TIME_WAIT: not counted. */
  rstAfterClose(frames: number[]): string;
  retx(frames: number[]): string;
  /** Frames the capture holds twice (capturing on several interfaces at once). */
  copies(n: number): string;
  cleanOk(): string;
  checkName(check: string): string;
}

/** Frame numbers, the first six and how many in all. */
const list = (fs: number[]) => (fs.length <= 6 ? fs.join(', ') : `${fs.slice(0, 6).join(', ')} … (${fs.length} in all)`);
const zhList = (fs: number[]) => (fs.length <= 6 ? fs.join('、') : `${fs.slice(0, 6).join('、')} …（共 ${fs.length} 个）`);
/** "1 frame", "2 frames". */
const n = (k: number, one: string, many = `${one}s`) => `${k} ${k === 1 ? one : many}`;
const cap = (w: string) => w[0].toUpperCase() + w.slice(1);

const EN: Feedback = {
  notACapture: (m, why) => `not graded: ${why.kind === 'empty' ? 'the file is empty (0 bytes): upload the capture again' : m}`,
  noTcp: (k, enc) => `not graded: the capture holds ${n(k, 'frame')} but no TCP connection` +
    (enc > 0 ? `; ${enc} of them are encrypted (IPsec, or a Wi-Fi network with a password), so any TCP inside cannot be seen: capture on the computer's own interface instead` : ''),
  damaged: (f, r) => `The file is damaged or cut short at frame ${f}: only ${r === 0 ? 'what came before it' : `frames 1–${r}`} could be read and graded; save the capture again and upload the whole file.`,
  noMatch: (h, p, k) => `not graded: none of the ${n(k, 'connection')} matches${h ? ` host ${h}` : ''}${p !== undefined ? ` port ${p}` : ''}`,
  picked: (id, c, s, filtered, k) => filtered
    ? `graded flow ${id} (${c} → ${s}): ${k === 1 ? 'the connection matching the host/port given' : `the most complete of the ${k} connections matching the host/port given`}`
    : `graded flow ${id} (${c} → ${s}): ${k === 1 ? 'the only connection in the capture' : `the most complete of the ${k} connections in the capture`}`,
  duplicate: (o) => `The same connection (same addresses, sequence numbers and times) is also in ${o.join(', ')}.`,
  completeOk: (f) => `The capture starts with the connection's SYN (frame ${f}).`,
  completeNo: (f) => `The capture starts in the middle of the connection${f !== null ? ` (frame ${f} comes before any SYN)` : ''}: start capturing before you connect.`,
  completeNoSyn: (f) => `The client's SYN is not in the capture${f !== null ? `, which begins at frame ${f}` : ''}: start capturing before you connect.`,
  oneSided: (w) => `Only one direction was captured: nothing the ${w} sent is in the file (a capture filter, or \`tcpdump -Q in\`/\`-Q out\`, keeps one direction). Capture both directions; what the ${w} did is only inferred below, and gets no points.`,
  sideNotCaptured: (w) => `Nothing the ${w} sent is in the capture, so its part cannot be checked.`,
  noSyn: () => 'No SYN from the client was captured, so the handshake cannot be checked.',
  thirdOkAlone: (f3, f2) => `The client's ACK (frame ${f3}) does acknowledge the server's ISN + 1 from the SYN+ACK (frame ${f2}).`,
  noSynAck: (f, s) => `The SYN (frame ${f}) was never answered by a SYN+ACK; the client stays in ${s}.`,
  icmpRefused: (f, i, what, s) => `The SYN (frame ${f}) was answered by an ICMP error (frame ${i}: ${what}), not by the server: a router or firewall on the way rejected the connection, and the client is back in ${s}.`,
  badSynAck: (f, a) => `Frame ${f}: the SYN+ACK acknowledges ${a} instead of 1 (the client's ISN + 1).`,
  noThird: (f, s) => `After the SYN+ACK (frame ${f}) the client never sent the third segment; the server stays in ${s}.`,
  refused: (f, r, s) => `The SYN (frame ${f}) was answered with a RST (frame ${r}), not a SYN+ACK: nothing listens on the server's port (connection refused), and the client is back in ${s}.`,
  handshakeReset: (f, r, w, s) => `After the SYN+ACK (frame ${f}) the ${w} sent a RST (frame ${r}) instead of the third segment: the handshake was aborted, and the server is in ${s}.`,
  badThird: (f, a) => `Frame ${f}: the ACK acknowledges ${a} instead of 1 (the server's ISN + 1); the client never confirmed the server's ISN, so the server stays in SYN_RCVD.`,
  handshakeOk: (f1, f2, f3, x, y, pc, ps) =>
    `SYN (frame ${f1}) with the client's initial sequence number (ISN) x = ${x}; SYN+ACK (frame ${f2}) with ack = x+1 and the server's own ISN y = ${y}; ACK (frame ${f3}) with ack = y+1. Client ${pc}; server ${ps}.`,
  handshakeRepeated: (s, sa) => {
    const syn = `the SYN was sent ${s.length} times (frames ${list(s)})`, synAck = `SYN+ACK ${sa.length} times (frames ${list(sa)})`;
    const what = s.length > 1 && sa.length > 1 ? `${syn} and the ${synAck}` : s.length > 1 ? syn : `the ${synAck.replace(' ', ' was sent ')}`;
    return `${cap(what)}: a copy was lost or answered late, and the sender tried again; the frames above are the exchange that completed.`;
  },
  whyHandshake: () => 'Why three segments: each side must hear that the other received its initial sequence number; with only two, the server could not tell a fresh SYN from a stale duplicate.',
  optionsOk: (c, s, ws, sack, ts) =>
    `MSS ${c} (client) and ${s} (server); window scale ${ws ? `${ws.client}/${ws.server}` : 'not negotiated'}; SACK ${sack ? 'permitted' : 'not negotiated'}; timestamps ${ts ? 'on' : 'off'}.`,
  optionsNo: (c, s) => `MSS missing on ${c === null && s === null ? 'both SYNs' : c === null ? "the client's SYN" : "the server's SYN+ACK"}.`,
  optionsNoSyn: (a, b) => `The MSS cannot be checked: ${a && b ? 'neither the SYN nor the SYN+ACK' : a ? "the client's SYN" : "the server's SYN+ACK"} is not in the capture.`,
  dataBoth: (c, s) => `Data both ways: ${n(c, 'byte')} from the client, ${n(s, 'byte')} from the server.`,
  dataOneWay: (c, s, silent) => silent !== null
    ? `Data from one side only (${n(c, 'byte')} from the client, ${n(s, 'byte')} from the server): the ${silent}'s segments are not in the capture.`
    : `Data did not flow both ways (${n(c, 'byte')} from the client, ${n(s, 'byte')} from the server).`,
  gaps: (fs) => `Data missing from the capture before frame${fs.length === 1 ? '' : 's'} ${list(fs)}: the receiver acknowledged bytes that were never captured, so the capture itself lost them (not the network).`,
  noGaps: () => 'The capture holds every byte of the data (no gap the capture cannot explain).',
  noDataNoGapPoints: () => 'No data was sent, so there is no transfer to be complete.',
  noFin: (c, s) => `Neither side closed with a FIN: the connection ends with the client in ${c} and the server in ${s}.`,
  noFinReset: (r, w) => `Neither side closed with a FIN: the ${w}'s RST (frame ${r}) ended the connection instead, so there was no orderly close.`,
  finMissing: (w, st) => `The ${w} never sent a FIN; it ends in ${st}.`,
  finNotAcked: (w, f, r) => `The ${w}'s FIN (frame ${f}, relative seq ${r}) was never acknowledged with ack = ${r + 1}.`,
  finAckNotCaptured: (w, f, a) => `The ${w}'s FIN (frame ${f}) was sent, but nothing the ${a} sent is in the capture, so its ACK cannot be checked.`,
  finAcked: (w, f, a) => `The ${w}'s FIN (frame ${f}) was acknowledged at its sequence number + 1 (frame ${a}).`,
  closer: (c) => (c === 'simultaneous' ? 'Both FINs crossed: a simultaneous close.' : `The ${c} closed first (its FIN did not acknowledge the other side's FIN).`),
  whyTeardown: () => 'Why four segments: each direction closes on its own, so each FIN needs its own ACK; a side may keep sending after the other has closed.',
  byRst: () => '(by RST)',
  simultaneousTw: (ok, pc, ps) => (ok
    ? `Simultaneous close: both sides reached TIME_WAIT (client ${pc}; server ${ps}).`
    : `Simultaneous close, but not both sides reached TIME_WAIT in the capture (client ${pc}; server ${ps}).`),
  timeWait: (a, ao, ap, p, po, pp) =>
    `The active closer (${a}) ${ao ? 'reached' : 'did not reach'} TIME_WAIT (${ap}); the passive closer (${p}) ${po ? 'went' : 'did not go'} LAST_ACK→CLOSED on the ACK of its FIN (${pp}).`,
  timeWaitUnseen: (w) => `TIME_WAIT and LAST_ACK cannot be checked: nothing the ${w} sent is in the capture, so its states are only inferred.`,
  noClose: () => 'There was no orderly close to check.',
  whyTimeWait: () => 'Why TIME_WAIT lasts 2MSL: the last ACK may be lost and the peer will resend its FIN; waiting twice the maximum segment lifetime also lets old duplicates die before the same ports are used again.',
  rst: (fs, w) => `RST at frame${fs.length === 1 ? '' : 's'} ${list(fs)} (first from the ${w}): the connection was reset, not closed.`,
  rstAfterClose: (fs) => `RST at frame${fs.length === 1 ? '' : 's'} ${list(fs)} came after the close was complete (it only cut TIME_WAIT short): not counted.`,
  retx: (fs) => `Retransmissions at frame${fs.length === 1 ? '' : 's'} ${list(fs)}.`,
  copies: (k) => `${cap(n(k, 'frame'))} ${k === 1 ? 'is' : 'are'} in the capture twice (the same packet seen on two interfaces, as capturing on "any" or on a bridge does): not counted as retransmissions; capture on one interface.`,
  cleanOk: () => 'No RST and no retransmission.',
  checkName: (c) => c,
};

const ZH_WHO = { client: '客户端', server: '服务器' } as const;

const ZH_NOT_READABLE = (why: NotReadable): string => {
  switch (why.kind) {
    case 'empty': return '文件是空的（0 字节）：请重新上传抓包文件';
    case 'archive': return `这是用 ${why.format} 压缩或打包的文件，不是抓包文件：请先解压（${why.unpack}）再提交其中的抓包文件`;
    case 'unreadable': return '无法读取该文件';
    default: return '不是 pcap 或 pcapng 抓包文件';
  }
};

const ZH: Feedback = {
  notACapture: (m, why) => `未评分：${ZH_NOT_READABLE(why)}（${m}）`,
  noTcp: (k, enc) => `未评分：抓包文件有 ${k} 帧，但没有 TCP 连接` +
    (enc > 0 ? `；其中 ${enc} 帧是加密的（IPsec，或设有密码的 Wi-Fi 网络），看不到其中的 TCP：请改在本机的网络接口上抓包` : ''),
  damaged: (f, r) => `文件在第 ${f} 帧处损坏或被截断：只读取并评分了${r === 0 ? '此前的内容' : `第 1–${r} 帧`}；请重新保存抓包并上传完整的文件。`,
  noMatch: (h, p, k) => `未评分：${k} 个连接中没有与${h ? ` 主机 ${h}` : ''}${p !== undefined ? ` 端口 ${p}` : ''} 匹配的连接`,
  picked: (id, c, s, filtered, k) => filtered
    ? `评分对象：流 ${id}（${c} → ${s}），${k === 1 ? '与给定主机/端口匹配的连接' : `与给定主机/端口匹配的 ${k} 个连接中最完整的一个`}`
    : `评分对象：流 ${id}（${c} → ${s}），${k === 1 ? '抓包中唯一的连接' : `抓包中 ${k} 个连接里最完整的一个`}`,
  duplicate: (o) => `同一个连接（相同的地址、序号和时间）也出现在 ${o.join('、')} 中。`,
  completeOk: (f) => `抓包从该连接的 SYN（第 ${f} 帧）开始。`,
  completeNo: (f) => `抓包从连接中途开始${f !== null ? `（第 ${f} 帧出现在任何 SYN 之前）` : ''}：请在建立连接之前开始抓包。`,
  completeNoSyn: (f) => `抓包中没有客户端的 SYN${f !== null ? `（抓包从第 ${f} 帧开始）` : ''}：请在建立连接之前开始抓包。`,
  oneSided: (w) => `只抓到了一个方向：文件中没有${ZH_WHO[w]}发送的任何报文段（抓包过滤条件，或 \`tcpdump -Q in\`/\`-Q out\` 只保留一个方向）。请抓取双向的报文；下面${ZH_WHO[w]}的行为只是推断出来的，不计分。`,
  sideNotCaptured: (w) => `抓包中没有${ZH_WHO[w]}发送的任何报文段，无法检查这一部分。`,
  noSyn: () => '没有抓到客户端的 SYN，无法检查三次握手。',
  thirdOkAlone: (f3, f2) => `客户端的 ACK（第 ${f3} 帧）确实确认了 SYN+ACK（第 ${f2} 帧）中服务器的初始序号 + 1。`,
  noSynAck: (f, s) => `SYN（第 ${f} 帧）没有收到 SYN+ACK 应答；客户端停留在 ${s}。`,
  icmpRefused: (f, i, what, s) => `SYN（第 ${f} 帧）得到的应答是 ICMP 差错报文（第 ${i} 帧：${what}），而不是服务器的应答：途中的路由器或防火墙拒绝了这个连接，客户端回到 ${s}。`,
  badSynAck: (f, a) => `第 ${f} 帧：SYN+ACK 的确认号是 ${a}，而应为 1（客户端初始序号 + 1）。`,
  noThird: (f, s) => `SYN+ACK（第 ${f} 帧）之后客户端没有发送第三个报文段；服务器停留在 ${s}。`,
  refused: (f, r, s) => `SYN（第 ${f} 帧）得到的应答是 RST（第 ${r} 帧）而不是 SYN+ACK：服务器端口上没有程序监听（连接被拒绝），客户端回到 ${s}。`,
  handshakeReset: (f, r, w, s) => `SYN+ACK（第 ${f} 帧）之后，${ZH_WHO[w]}发送了 RST（第 ${r} 帧）而不是第三个报文段：三次握手被中止，服务器处于 ${s}。`,
  badThird: (f, a) => `第 ${f} 帧：ACK 的确认号是 ${a}，而应为 1（服务器初始序号 + 1）；客户端没有确认服务器的初始序号，所以服务器停留在 SYN_RCVD。`,
  handshakeOk: (f1, f2, f3, x, y, pc, ps) =>
    `SYN（第 ${f1} 帧）带有客户端的初始序号 x = ${x}；SYN+ACK（第 ${f2} 帧）确认号 = x+1，并带有服务器自己的初始序号 y = ${y}；ACK（第 ${f3} 帧）确认号 = y+1。客户端 ${pc}；服务器 ${ps}。`,
  handshakeRepeated: (s, sa) => [
    s.length > 1 ? `SYN 发送了 ${s.length} 次（第 ${zhList(s)} 帧）` : '',
    sa.length > 1 ? `SYN+ACK 发送了 ${sa.length} 次（第 ${zhList(sa)} 帧）` : '',
  ].filter(Boolean).join('，') + '：有一份丢失或应答迟到，发送方又重发了；上面列出的是最终完成的那一次交换。',
  whyHandshake: () => '为什么是三次握手而不是两次：双方都要确认对方收到了自己的初始序号；只有两次时，服务器无法分辨新的 SYN 和迟到的旧 SYN。',
  optionsOk: (c, s, ws, sack, ts) =>
    `MSS：客户端 ${c}，服务器 ${s}；窗口扩大因子 ${ws ? `${ws.client}/${ws.server}` : '未协商'}；SACK ${sack ? '已允许' : '未协商'}；时间戳 ${ts ? '开启' : '关闭'}。`,
  optionsNo: (c, s) => `${c === null && s === null ? '两个 SYN' : c === null ? '客户端的 SYN' : '服务器的 SYN+ACK'}缺少 MSS 选项。`,
  optionsNoSyn: (a, b) => `无法检查 MSS：抓包中没有${a && b ? ' SYN 和 SYN+ACK' : a ? '客户端的 SYN' : '服务器的 SYN+ACK'}。`,
  dataBoth: (c, s) => `双向都有数据：客户端发送 ${c} 字节，服务器发送 ${s} 字节。`,
  dataOneWay: (c, s, silent) => silent !== null
    ? `只有一方的数据（客户端 ${c} 字节，服务器 ${s} 字节）：抓包中没有${ZH_WHO[silent]}的报文段。`
    : `数据没有双向传输（客户端 ${c} 字节，服务器 ${s} 字节）。`,
  gaps: (fs) => `第 ${zhList(fs)} 帧之前的数据不在抓包中：接收方确认了从未被抓到的字节，所以是抓包本身丢失了它们（而不是网络）。`,
  noGaps: () => '抓包中包含了全部数据（没有无法解释的序号空缺）。',
  noDataNoGapPoints: () => '没有发送任何数据，因此谈不上完整的数据传输。',
  noFin: (c, s) => `双方都没有用 FIN 关闭：连接结束时客户端处于 ${c}，服务器处于 ${s}。`,
  noFinReset: (r, w) => `双方都没有用 FIN 关闭：${ZH_WHO[w]}的 RST（第 ${r} 帧）结束了连接，因此没有正常关闭。`,
  finMissing: (w, st) => `${ZH_WHO[w]}没有发送 FIN；最终处于 ${st}。`,
  finNotAcked: (w, f, r) => `${ZH_WHO[w]}的 FIN（第 ${f} 帧，相对序号 ${r}）没有被确认号 ${r + 1} 确认。`,
  finAckNotCaptured: (w, f, a) => `${ZH_WHO[w]}发送了 FIN（第 ${f} 帧），但抓包中没有${ZH_WHO[a]}发送的任何报文段，无法检查对它的确认。`,
  finAcked: (w, f, a) => `${ZH_WHO[w]}的 FIN（第 ${f} 帧）在第 ${a} 帧被确认（确认号 = 序号 + 1）。`,
  closer: (c) => (c === 'simultaneous' ? '双方的 FIN 交叉：同时关闭。' : `${ZH_WHO[c as Who]}先关闭（它的 FIN 没有确认对方的 FIN）。`),
  whyTeardown: () => '为什么是四次挥手：两个方向各自关闭，每个 FIN 都需要单独的 ACK；一方关闭后，另一方还可以继续发送数据。',
  byRst: () => '（因 RST）',
  simultaneousTw: (ok, pc, ps) => (ok
    ? `同时关闭：双方都进入了 TIME_WAIT（客户端 ${pc}；服务器 ${ps}）。`
    : `同时关闭，但抓包中并非双方都进入了 TIME_WAIT（客户端 ${pc}；服务器 ${ps}）。`),
  timeWait: (a, ao, ap, p, po, pp) =>
    `主动关闭方（${ZH_WHO[a]}）${ao ? '进入了' : '没有进入'} TIME_WAIT（${ap}）；被动关闭方（${ZH_WHO[p]}）${po ? '在收到对其 FIN 的 ACK 后经历了' : '没有经历'} LAST_ACK→CLOSED（${pp}）。`,
  timeWaitUnseen: (w) => `无法检查 TIME_WAIT 和 LAST_ACK：抓包中没有${ZH_WHO[w]}发送的任何报文段，它的状态只是推断出来的。`,
  noClose: () => '没有可检查的正常关闭过程。',
  whyTimeWait: () => '为什么 TIME_WAIT 要持续 2MSL：最后的 ACK 可能丢失，对方会重发 FIN；等待两倍最大报文段寿命，也让旧的重复报文段在同一端口被重新使用前消失。',
  rst: (fs, w) => `第 ${zhList(fs)} 帧出现 RST（第一个来自${ZH_WHO[w]}）：连接被重置，而不是正常关闭。`,
  rstAfterClose: (fs) => `第 ${zhList(fs)} 帧的 RST 出现在关闭完成之后（只是提前结束了 TIME_WAIT）：不扣分。`,
  retx: (fs) => `第 ${zhList(fs)} 帧有重传。`,
  copies: (k) => `抓包中有 ${k} 帧出现了两次（同一个报文在两个接口上被抓到，在 "any" 或网桥上抓包就会这样）：不算作重传；请只在一个接口上抓包。`,
  cleanOk: () => '没有 RST，也没有重传。',
  checkName: (c) => ({
    'capture-complete': '抓包完整', handshake: '三次握手', options: 'TCP 选项', data: '数据传输',
    teardown: '四次挥手', 'time-wait': 'TIME_WAIT', clean: '无 RST/重传',
  } as Record<string, string>)[c] ?? c,
};

export function feedback(lang: Lang): Feedback {
  return lang === 'zh' ? ZH : EN;
}
