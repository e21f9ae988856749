import { createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import { CorpusBuilder } from './corpus_builder.js'
import { startAppender } from './growing_file.js'

/** Names of the corpus volumes, each one a folder with one kind of hard content. */
export type CorpusVolumeName =
  'empty' | 'metadata' | 'links' | 'names' | 'special' | 'sparse' | 'growing'

/** Every volume, in the order the kit runs them. */
export const CORPUS_VOLUMES: readonly CorpusVolumeName[] = [
  'empty',
  'metadata',
  'links',
  'names',
  'special',
  'sparse',
  'growing',
]

/** Activity that runs while an engine backs up a volume. */
export interface VolumeActivity {
  /** Stops the activity and waits until it has stopped changing the volume. */
  stop(): Promise<void>
}

/** One generated volume and what the kit expects from an engine that backs it up. */
export interface CorpusVolume {
  name: CorpusVolumeName
  /** Absolute path of the volume's root folder. */
  path: string
  description: string
  /** Files that grow during backup: restored content must be a prefix of the final content. */
  growingPaths: string[]
  /** Entries an engine may skip if a warning names them (unix sockets). */
  skippablePaths: string[]
  /** Files and folders to restore in the partial restore check; empty to skip that check. */
  partialPaths: string[]
  /** A folder to list with `listFiles({ prefix })`, when the volume has one. */
  listPrefix?: string
  /** Starts changes to run during backup, such as a writer appending to a file. */
  startActivity?(): Promise<VolumeActivity>
}

/** Options of `createCorpus`. */
export interface CorpusOptions {
  /** Volumes to create; all of them when omitted. */
  volumes?: readonly CorpusVolumeName[]
  /** Apparent size in bytes of the large sparse file; 1 GiB when omitted. */
  sparseSize?: number
}

/** The generated corpus: one folder per volume under `root`. */
export interface Corpus {
  root: string
  volumes: CorpusVolume[]
}

const MiB = 1024 * 1024

/**
 * Creates the corpus volumes under `folder`, which must be empty or absent. Needs root (chown to
 * other users, `mknod`) and the `setfattr` command (Debian package attr).
 */
export async function createCorpus(folder: string, options: CorpusOptions = {}): Promise<Corpus> {
  const root = path.resolve(folder)
  await fs.mkdir(root, { recursive: true })

  const names = options.volumes ?? CORPUS_VOLUMES
  const volumes: CorpusVolume[] = []
  for (const name of names) {
    const volumePath = path.join(root, name)
    await fs.mkdir(volumePath)
    volumes.push(await VOLUME_BUILDERS[name](volumePath, options))
  }

  return { root, volumes }
}

type VolumeBuilder = (volumePath: string, options: CorpusOptions) => Promise<CorpusVolume>

const VOLUME_BUILDERS: Record<CorpusVolumeName, VolumeBuilder> = {
  empty: buildEmpty,
  metadata: buildMetadata,
  links: buildLinks,
  names: buildNames,
  special: buildSpecial,
  sparse: buildSparse,
  growing: buildGrowing,
}

function baseVolume(name: CorpusVolumeName, volumePath: string, description: string): CorpusVolume {
  return {
    name,
    path: volumePath,
    description,
    growingPaths: [],
    skippablePaths: [],
    partialPaths: [],
  }
}

/** Content that depends on the name, so two files never share a digest by accident. */
function contentOf(name: string | Buffer, repeat = 1): Buffer {
  const line = createHash('sha256').update(name).digest('hex') + '\n'
  return Buffer.from(line.repeat(repeat))
}

async function buildEmpty(volumePath: string): Promise<CorpusVolume> {
  const builder = new CorpusBuilder(volumePath)
  await builder.finish({ mode: 0o755, uid: 0, gid: 0, mtime: '1500000000.5' })
  return baseVolume('empty', volumePath, 'a volume with no entries')
}

async function buildMetadata(volumePath: string): Promise<CorpusVolume> {
  const builder = new CorpusBuilder(volumePath)

  await builder.folder('empty-owned', { mode: 0o750, uid: 1234, gid: 5678, mtime: '1400000000.25' })
  await builder.folder('empty-sticky', { mode: 0o1777, uid: 0, gid: 0, mtime: '1300000000' })
  await builder.folder('setgid-dir', {
    mode: 0o2775,
    uid: 4000000,
    gid: 4000001,
    mtime: '1200000000',
  })
  await builder.file('setgid-dir/inside.txt', contentOf('inside'), { uid: 4000000, gid: 4000001 })

  await builder.file('setuid-file', contentOf('setuid', 10), { mode: 0o4755, uid: 0, gid: 0 })
  await builder.file('setgid-file', contentOf('setgid'), { mode: 0o2711, uid: 70000, gid: 70001 })
  await builder.file('unknown-owner', contentOf('owner'), { mode: 0o640, uid: 54321, gid: 12345 })
  await builder.file('zero-bytes', '', { mode: 0o644, uid: 2000, gid: 2000 })
  await builder.file('zero-no-permissions', '', { mode: 0o000 })

  await builder.file('mtime-epoch', contentOf('epoch'), { mtime: '0' })
  await builder.file('mtime-1970', contentOf('1970'), { mtime: '86400' })
  await builder.file('mtime-1980', contentOf('1980'), { mtime: '315532800' })
  await builder.file('mtime-subsecond', contentOf('subsecond'), { mtime: '1700000000.123456789' })
  await builder.file('mtime-2100', contentOf('2100'), { mtime: '4102444800.000000001' })

  const xattrs = { 'user.coffer.text': 'hello', 'user.coffer.binary': Buffer.from([0, 0xff, 0x10]) }
  await builder.folder('xattr-dir', { mode: 0o755, xattrs, mtime: '1600000000.1' })
  await builder.file('xattr-dir/xattr-file', contentOf('xattr'), { xattrs, mtime: '1600000000.2' })

  await builder.folder('nested/deeper/deepest', { mode: 0o711, mtime: '1100000000.3' })
  await builder.folder('nested/deeper', { mode: 0o755, mtime: '1100000000.2' })
  await builder.folder('nested', { mode: 0o750, uid: 1234, gid: 1234, mtime: '1100000000.1' })
  await builder.file('nested/deeper/deepest/file', contentOf('deep', 100), { mtime: '1100000000' })

  await builder.finish({ mode: 0o700, uid: 999, gid: 999, mtime: '1650000000.987654321' })

  const volume = baseVolume(
    'metadata',
    volumePath,
    'owners not in passwd, setuid/setgid/sticky modes, empty folders, 0-byte files, old and sub-second mtimes, xattrs, a 0700 root owned by 999:999'
  )
  volume.partialPaths = ['nested/deeper', 'setuid-file']
  volume.listPrefix = 'nested'
  return volume
}

async function buildLinks(volumePath: string): Promise<CorpusVolume> {
  const builder = new CorpusBuilder(volumePath)

  await builder.folder('real-dir')
  await builder.file('real-dir/file.txt', contentOf('real'))
  await builder.symlink('absolute', '/etc/passwd', { uid: 1234, gid: 4321, mtime: '1000000000.5' })
  await builder.symlink('relative-outside', '../../outside/of/the/volume')
  await builder.symlink('dangling', 'does/not/exist', { mtime: '1000000001' })
  await builder.symlink('loop-a', 'loop-b')
  await builder.symlink('loop-b', 'loop-a')
  await builder.symlink('self-loop', 'self-loop')
  await builder.symlink('dir-link', 'real-dir')
  await builder.symlink('real-dir/up', '..')

  await builder.folder('hard')
  await builder.folder('other/deeper')
  await builder.file('hard/one.txt', contentOf('hard', 50), { mode: 0o640, uid: 3000, gid: 3000 })
  await builder.hardLink('hard/one.txt', 'other/two.txt')
  await builder.hardLink('hard/one.txt', 'other/deeper/three.txt')
  await builder.file('pair-a', contentOf('pair'))
  await builder.hardLink('pair-a', 'hard/pair-b')
  await builder.file('hard/same-content', contentOf('hard', 50))

  await builder.finish({ mode: 0o755, mtime: '1000000002' })

  const volume = baseVolume(
    'links',
    volumePath,
    'symbolic links (absolute, outside the volume, dangling, loops, to a folder) and hard-link groups across folders'
  )
  volume.partialPaths = ['real-dir', 'dir-link', 'absolute']
  volume.listPrefix = 'real-dir'
  return volume
}

/** A name that is not valid UTF-8. */
export const NON_UTF8_NAME = Buffer.from([0x66, 0xff, 0xfe, 0x2e, 0x62, 0x69, 0x6e])

async function buildNames(volumePath: string): Promise<CorpusVolume> {
  const builder = new CorpusBuilder(volumePath)

  const names = [
    'new\nline',
    'tab\there',
    ' leading-space',
    'trailing-space ',
    '-rf',
    '--help',
    'back\\slash',
    'glob*?[x]',
    `quotes"'`,
    'caf\u00e9-nfc',
    'cafe\u0301-nfd',
    'emoji-\u{1f4be}',
    'x'.repeat(101),
    'y'.repeat(255),
  ]
  for (const name of names) {
    await builder.file(name, contentOf(name))
  }

  await builder.file(NON_UTF8_NAME, contentOf(NON_UTF8_NAME))
  const badFolder = Buffer.from([0x64, 0x69, 0x72, 0xc3, 0x28])
  await builder.folder(badFolder, { mode: 0o755 })
  await builder.file(Buffer.concat([badFolder, Buffer.from('/inside')]), contentOf('bad-folder'))

  // 14 folders of 200 bytes, 14 slashes and a 186-byte name: a 3,000-byte path.
  const segments = Array.from({ length: 14 }, (_, index) => `${index}`.padEnd(200, 'd'))
  const longFolder = segments.join('/')
  await builder.folder(longFolder)
  const longFile = `${longFolder}/${'z'.repeat(186)}`
  await builder.file(longFile, contentOf('long'))

  await builder.finish({ mode: 0o755, mtime: '1000000003' })

  const volume = baseVolume(
    'names',
    volumePath,
    'names with a newline, a tab, spaces, option-like and glob characters, invalid UTF-8, 101- and 255-byte names and a 3,000-byte path'
  )
  volume.partialPaths = ['new\nline', segments[0]]
  volume.listPrefix = segments[0]
  return volume
}

async function buildSpecial(volumePath: string): Promise<CorpusVolume> {
  const builder = new CorpusBuilder(volumePath)

  await builder.file('regular.txt', contentOf('regular'))
  await builder.special('fifo', 'mkfifo', [], { mode: 0o640, mtime: '1000000004' })
  await builder.special('char-device', 'mknod', ['c', '1', '3'], {
    mode: 0o600,
    mtime: '1000000005',
  })
  await builder.special('block-device', 'mknod', ['b', '7', '250'], { mode: 0o600 })
  await createSocketFile(path.join(volumePath, 'socket'))

  await builder.finish({ mode: 0o755, mtime: '1000000006' })

  const volume = baseVolume(
    'special',
    volumePath,
    'a FIFO, a character device, a block device and a unix socket, which must never be read'
  )
  volume.skippablePaths = ['socket']
  return volume
}

/**
 * Leaves a unix socket file at `socketPath`. Closing a listening server unlinks its path, so the
 * server listens on a temporary name that is renamed before the close.
 */
async function createSocketFile(socketPath: string): Promise<void> {
  const temporary = `${socketPath}.listening`
  const server = net.createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(temporary, resolve)
  })
  await fs.rename(temporary, socketPath)
  await new Promise<void>((resolve) => server.close(() => resolve()))
}

async function buildSparse(volumePath: string, options: CorpusOptions): Promise<CorpusVolume> {
  const builder = new CorpusBuilder(volumePath)
  const size = options.sparseSize ?? 1024 * MiB

  // Data at the start, in the middle and at the very end, holes in between.
  const handle = await fs.open(path.join(volumePath, 'sparse.img'), 'w')
  const chunk = contentOf('sparse', Math.ceil(MiB / 65))
  for (const offset of [0, Math.floor(size / 2), size - MiB]) {
    await handle.write(chunk, 0, MiB, offset)
  }
  await handle.truncate(size)
  await handle.close()

  await builder.file('all-hole.img', '')
  await fs.truncate(path.join(volumePath, 'all-hole.img'), 64 * MiB)
  await builder.file('dense.bin', contentOf('dense', Math.ceil((2 * MiB) / 65)))

  await builder.finish({ mode: 0o755, mtime: '1000000007' })

  return baseVolume(
    'sparse',
    volumePath,
    `a ${size}-byte sparse file with 3 MiB of data, a 64 MiB file that is one hole, and a dense file`
  )
}

async function buildGrowing(volumePath: string): Promise<CorpusVolume> {
  const builder = new CorpusBuilder(volumePath)

  await builder.file('stable.txt', contentOf('stable'))
  await builder.file('growing.log', contentOf('growing', Math.ceil((32 * MiB) / 65)))
  await builder.finish({ mode: 0o755 })

  const volume = baseVolume(
    'growing',
    volumePath,
    'a 32 MiB file that a writer appends to during the backup'
  )
  volume.growingPaths = ['growing.log']
  volume.startActivity = () => startAppender(path.join(volumePath, 'growing.log'))
  return volume
}
