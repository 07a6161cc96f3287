/**
 * The services this runner agreed to run, kept in `{dataDir}/services.json`: for each, the
 * executable it checked and its sha256. A native job names a service; the runner runs it only if
 * it registered that service itself (local, git) and the file still has that hash.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'

export interface RegisteredService {
  service_id: number
  service_name: string
  source: 'local' | 'git'
  executable_path: string
  sha256: string
  /** A git service's clone, removed when the service is forgotten. */
  checkout?: string
}

export class ServiceRegistry {
  private services = new Map<number, RegisteredService>()
  private readonly file: string

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'services.json')
  }

  async load(): Promise<void> {
    try {
      const list = JSON.parse(await readFile(this.file, 'utf8')) as RegisteredService[]
      this.services = new Map(list.map((s) => [s.service_id, s]))
    } catch {
      this.services = new Map()
    }
  }

  get(id: number): RegisteredService | undefined {
    return this.services.get(id)
  }

  async put(service: RegisteredService): Promise<void> {
    this.services.set(service.service_id, service)
    await this.save()
  }

  async remove(id: number): Promise<RegisteredService | undefined> {
    const service = this.services.get(id)
    if (!service) return undefined
    this.services.delete(id)
    await this.save()
    return service
  }

  private async save(): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true })
    const temp = `${this.file}.${process.pid}.tmp`
    await writeFile(temp, JSON.stringify([...this.services.values()], null, 2) + '\n', {
      mode: 0o600,
    })
    await rename(temp, this.file)
  }
}
