/** Grading feedback a student understands, in English and Chinese. Frames and states are cited. */

export type Lang = 'en' | 'zh';

type Who = 'client' | 'server';
type WS = { client: number; server: number } | null;

export interface Feedback {
  notACapture(msg: string): string;
  /** `encrypted`: how many of the frames are encrypted (IPsec ESP, protected 802.11). */
  noTcp(frames: number, encrypted: number): string;
  noMatch(host: string | undefined, port: number | undefined, flows: number): string;
  picked(id: number, client: string, server: string, filtered: boolean, flows: number): string;
  duplicate(other: string): string;
  completeOk(frame: number): string;
  completeNo(first: number | null): string;
  noSyn(): string;
  noSynAck(synFrame: number, clientState: string): string;
  badSynAck(frame: number, relAck: number): string;
  noThird(synAckFrame: number, serverState: string): string;
  /** A RST answered the SYN instead of a SYN+ACK. */
  refused(synFrame: number, rstFrame: number, clientState: string): string;
  /** A RST after the SYN+ACK, before the third segment. */
  handshakeReset(synAckFrame: number, rstFrame: number, who: Who, serverState: string): string;
  badThird(frame: number, relAck: number): string;
  handshakeOk(f1: number, f2: number, f3: number, isnC: number, isnS: number, pathC: string, pathS: string): string;
  whyHandshake(): string;
  optionsOk(mssC: number, mssS: number, ws: WS, sack: boolean, ts: boolean): string;
  optionsNo(mssC: number | null, mssS: number | null): string;
  dataBoth(c2s: number, s2c: number): string;
  dataOneWay(c2s: number, s2c: number): string;
  gaps(frames: number[]): string;
  noFin(stateC: string, stateS: string): string;
  /** No FIN either way: a RST ended the connection. */
  noFinReset(rstFrame: number, who: Who): string;
  finMissing(who: Who, state: string): string;
  finNotAcked(who: Who, frame: number, relSeq: number): string;
  finAcked(who: Who, finFrame: number, ackFrame: number): string;
  closer(closedBy: string): string;
  whyTeardown(): string;
  simultaneousTw(ok: boolean): string;
  timeWait(active: Who, activeOk: boolean, activePath: string, passive: Who, passiveOk: boolean, passivePath: string): string;
  noClose(): string;
  whyTimeWait(): string;
  rst(frames: number[], who: Who): string;
  retx(frames: number[]): string;
  cleanOk(): string;
  checkName(check: string): string;
}

const list = (fs: number[]) => (fs.length <= 6 ? fs.join(', ') : `${fs.slice(0, 6).join(', ')} …`);

const EN: Feedback = {
  notACapture: (m) => `not graded: ${m}`,
  noTcp: (n, enc) => `not graded: the capture holds ${n} frame(s) but no TCP connection` +
    (enc > 0 ? `; ${enc} of them are encrypted (IPsec, or a Wi-Fi network with a password), so any TCP inside cannot be seen: capture on the computer's own interface instead` : ''),
  noMatch: (h, p, n) => `not graded: none of the ${n} connection(s) matches${h ? ` host ${h}` : ''}${p !== undefined ? ` port ${p}` : ''}`,
  picked: (id, c, s, filtered, n) => filtered
    ? `graded flow ${id} (${c} → ${s}): the connection matching the host/port given`
    : `graded flow ${id} (${c} → ${s}): the most complete of the ${n} connection(s) in the capture`,
  duplicate: (o) => `The same connection (same ISNs and SYN time) is in ${o}.`,
  completeOk: (f) => `The capture starts with the connection's SYN (frame ${f}).`,
  completeNo: (f) => `The capture starts in the middle of the connection${f !== null ? ` (frame ${f} is not a SYN)` : ''}: start capturing before you connect.`,
  noSyn: () => 'No SYN from the client was captured, so the handshake cannot be checked.',
  noSynAck: (f, s) => `The SYN (frame ${f}) was never answered by a SYN+ACK; the client stays in ${s}.`,
  badSynAck: (f, a) => `Frame ${f}: the SYN+ACK acknowledges ${a} instead of 1 (the client's ISN + 1).`,
  noThird: (f, s) => `After the SYN+ACK (frame ${f}) the client never sent the third segment; the server stays in ${s}.`,
  refused: (f, r, s) => `The SYN (frame ${f}) was answered with a RST (frame ${r}), not a SYN+ACK: nothing listens on the server's port (connection refused), and the client is back in ${s}.`,
  handshakeReset: (f, r, w, s) => `After the SYN+ACK (frame ${f}) the ${w} sent a RST (frame ${r}) instead of the third segment: the handshake was aborted, and the server is in ${s}.`,
  badThird: (f, a) => `Frame ${f}: the ACK acknowledges ${a} instead of 1 (the server's ISN + 1); the client never confirmed the server's ISN, so the server stays in SYN_RCVD.`,
  handshakeOk: (f1, f2, f3, x, y, pc, ps) =>
    `Frames ${f1}–${f3}: SYN with ISN x = ${x}, SYN+ACK (frame ${f2}) with ack = x+1 and its own ISN y = ${y}, ACK with ack = y+1. Client ${pc}; server ${ps}.`,
  whyHandshake: () => 'Why three segments: each side must hear that the other received its initial sequence number; with only two, the server could not tell a fresh SYN from a stale duplicate.',
  optionsOk: (c, s, ws, sack, ts) =>
    `MSS ${c} (client) and ${s} (server); window scale ${ws ? `${ws.client}/${ws.server}` : 'not negotiated'}; SACK ${sack ? 'permitted' : 'not negotiated'}; timestamps ${ts ? 'on' : 'off'}.`,
  optionsNo: (c, s) => `MSS missing on ${c === null && s === null ? 'both SYNs' : c === null ? "the client's SYN" : "the server's SYN+ACK"} (or the SYNs were not captured).`,
  dataBoth: (c, s) => `Data both ways: ${c} byte(s) from the client, ${s} byte(s) from the server.`,
  dataOneWay: (c, s) => `Data did not flow both ways (${c} byte(s) from the client, ${s} from the server).`,
  gaps: (fs) => `Sequence gaps the capture cannot explain, at frame(s) ${list(fs)}: data missing from the capture, or acknowledged without being seen.`,
  noFin: (c, s) => `Neither side closed with a FIN: the connection ends with the client in ${c} and the server in ${s}.`,
  noFinReset: (r, w) => `Neither side closed with a FIN: the ${w}'s RST (frame ${r}) ended the connection instead, so there was no orderly close.`,
  finMissing: (w, st) => `The ${w} never sent a FIN; it ends in ${st}.`,
  finNotAcked: (w, f, r) => `The ${w}'s FIN (frame ${f}, relative seq ${r}) was never acknowledged with ack = ${r + 1}.`,
  finAcked: (w, f, a) => `The ${w}'s FIN (frame ${f}) was acknowledged at its sequence number + 1 (frame ${a}).`,
  closer: (c) => (c === 'simultaneous' ? 'Both FINs crossed: a simultaneous close.' : `The ${c} closed first (its FIN did not acknowledge the other side's FIN).`),
  whyTeardown: () => 'Why four segments: each direction closes on its own, so each FIN needs its own ACK; a side may keep sending after the other has closed.',
  simultaneousTw: (ok) => (ok ? 'Simultaneous close: both sides went through CLOSING to TIME_WAIT.' : 'Simultaneous close, but not both sides reached TIME_WAIT in the capture.'),
  timeWait: (a, ao, ap, p, po, pp) =>
    `The active closer (${a}) ${ao ? 'reached' : 'did not reach'} TIME_WAIT (${ap}); the passive closer (${p}) ${po ? 'went' : 'did not go'} LAST_ACK→CLOSED (${pp}).`,
  noClose: () => 'There was no orderly close to check.',
  whyTimeWait: () => 'Why TIME_WAIT lasts 2MSL: the last ACK may be lost and the peer will resend its FIN; waiting twice the maximum segment lifetime also lets old duplicates die before the same ports are used again.',
  rst: (fs, w) => `RST at frame(s) ${list(fs)} (first from the ${w}): the connection was reset, not closed.`,
  retx: (fs) => `Retransmissions at frame(s) ${list(fs)}.`,
  cleanOk: () => 'No RST and no retransmission.',
  checkName: (c) => c,
};

const ZH_WHO = { client: '客户端', server: '服务器' } as const;

const ZH: Feedback = {
  notACapture: (m) => `未评分：${m}`,
  noTcp: (n, enc) => `未评分：抓包文件有 ${n} 帧，但没有 TCP 连接` +
    (enc > 0 ? `；其中 ${enc} 帧是加密的（IPsec，或设有密码的 Wi-Fi 网络），看不到其中的 TCP：请改在本机的网络接口上抓包` : ''),
  noMatch: (h, p, n) => `未评分：${n} 个连接中没有与${h ? `主机 ${h}` : ''}${p !== undefined ? `端口 ${p}` : ''}匹配的连接`,
  picked: (id, c, s, filtered, n) => filtered ? `评分对象：流 ${id}（${c} → ${s}），与给定主机/端口匹配的连接` : `评分对象：流 ${id}（${c} → ${s}），抓包中 ${n} 个连接里最完整的一个`,
  duplicate: (o) => `同一个连接（相同的初始序号和 SYN 时间）也出现在 ${o} 中。`,
  completeOk: (f) => `抓包从该连接的 SYN（第 ${f} 帧）开始。`,
  completeNo: (f) => `抓包从连接中途开始${f !== null ? `（第 ${f} 帧不是 SYN）` : ''}：请在建立连接之前开始抓包。`,
  noSyn: () => '没有抓到客户端的 SYN，无法检查三次握手。',
  noSynAck: (f, s) => `SYN（第 ${f} 帧）没有收到 SYN+ACK 应答；客户端停留在 ${s}。`,
  badSynAck: (f, a) => `第 ${f} 帧：SYN+ACK 的确认号是 ${a}，而应为 1（客户端初始序号 + 1）。`,
  noThird: (f, s) => `SYN+ACK（第 ${f} 帧）之后客户端没有发送第三个报文段；服务器停留在 ${s}。`,
  refused: (f, r, s) => `SYN（第 ${f} 帧）得到的应答是 RST（第 ${r} 帧）而不是 SYN+ACK：服务器端口上没有程序监听（连接被拒绝），客户端回到 ${s}。`,
  handshakeReset: (f, r, w, s) => `SYN+ACK（第 ${f} 帧）之后，${ZH_WHO[w]}发送了 RST（第 ${r} 帧）而不是第三个报文段：三次握手被中止，服务器处于 ${s}。`,
  badThird: (f, a) => `第 ${f} 帧：ACK 的确认号是 ${a}，而应为 1（服务器初始序号 + 1）；客户端没有确认服务器的初始序号，所以服务器停留在 SYN_RCVD。`,
  handshakeOk: (f1, f2, f3, x, y, pc, ps) =>
    `三次握手（第 ${f1}–${f3} 帧）：SYN 的初始序号 x = ${x}；SYN+ACK（第 ${f2} 帧）确认号 = x+1，自己的初始序号 y = ${y}；ACK 确认号 = y+1。客户端 ${pc}；服务器 ${ps}。`,
  whyHandshake: () => '为什么是三次握手而不是两次：双方都要确认对方收到了自己的初始序号；只有两次时，服务器无法分辨新的 SYN 和迟到的旧 SYN。',
  optionsOk: (c, s, ws, sack, ts) =>
    `MSS：客户端 ${c}，服务器 ${s}；窗口扩大因子 ${ws ? `${ws.client}/${ws.server}` : '未协商'}；SACK ${sack ? '已允许' : '未协商'}；时间戳 ${ts ? '开启' : '关闭'}。`,
  optionsNo: (c, s) => `${c === null && s === null ? '两个 SYN' : c === null ? '客户端的 SYN' : '服务器的 SYN+ACK'}缺少 MSS 选项（或没有抓到 SYN）。`,
  dataBoth: (c, s) => `双向都有数据：客户端发送 ${c} 字节，服务器发送 ${s} 字节。`,
  dataOneWay: (c, s) => `数据没有双向传输（客户端 ${c} 字节，服务器 ${s} 字节）。`,
  gaps: (fs) => `第 ${list(fs)} 帧处有无法解释的序号空缺：抓包中缺少数据，或有未见过的数据被确认。`,
  noFin: (c, s) => `双方都没有用 FIN 关闭：连接结束时客户端处于 ${c}，服务器处于 ${s}。`,
  noFinReset: (r, w) => `双方都没有用 FIN 关闭：${ZH_WHO[w]}的 RST（第 ${r} 帧）结束了连接，因此没有正常关闭。`,
  finMissing: (w, st) => `${ZH_WHO[w]}没有发送 FIN；最终处于 ${st}。`,
  finNotAcked: (w, f, r) => `${ZH_WHO[w]}的 FIN（第 ${f} 帧，相对序号 ${r}）没有被确认号 ${r + 1} 确认。`,
  finAcked: (w, f, a) => `${ZH_WHO[w]}的 FIN（第 ${f} 帧）在第 ${a} 帧被确认（确认号 = 序号 + 1）。`,
  closer: (c) => (c === 'simultaneous' ? '双方的 FIN 交叉：同时关闭。' : `${ZH_WHO[c as Who]}先关闭（它的 FIN 没有确认对方的 FIN）。`),
  whyTeardown: () => '为什么是四次挥手：两个方向各自关闭，每个 FIN 都需要单独的 ACK；一方关闭后，另一方还可以继续发送数据。',
  simultaneousTw: (ok) => (ok ? '同时关闭：双方都经过 CLOSING 进入 TIME_WAIT。' : '同时关闭，但抓包中并非双方都进入了 TIME_WAIT。'),
  timeWait: (a, ao, ap, p, po, pp) =>
    `主动关闭方（${ZH_WHO[a]}）${ao ? '进入了' : '没有进入'} TIME_WAIT（${ap}）；被动关闭方（${ZH_WHO[p]}）${po ? '经历了' : '没有经历'} LAST_ACK→CLOSED（${pp}）。`,
  noClose: () => '没有可检查的正常关闭过程。',
  whyTimeWait: () => '为什么 TIME_WAIT 要持续 2MSL：最后的 ACK 可能丢失，对方会重发 FIN；等待两倍最大报文段寿命，也让旧的重复报文段在同一端口被重新使用前消失。',
  rst: (fs, w) => `第 ${list(fs)} 帧出现 RST（第一个来自${ZH_WHO[w]}）：连接被重置，而不是正常关闭。`,
  retx: (fs) => `第 ${list(fs)} 帧有重传。`,
  cleanOk: () => '没有 RST，也没有重传。',
  checkName: (c) => ({
    'capture-complete': '抓包完整', handshake: '三次握手', options: 'TCP 选项', data: '数据传输',
    teardown: '四次挥手', 'time-wait': 'TIME_WAIT', clean: '无 RST/重传',
  } as Record<string, string>)[c] ?? c,
};

export function feedback(lang: Lang): Feedback {
  return lang === 'zh' ? ZH : EN;
}
