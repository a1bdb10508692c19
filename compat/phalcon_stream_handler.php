<?php
/**
 * PhalconStreamHandler replays, in plain PHP, exactly what Phalcon 5's
 * Phalcon\Session\Adapter\Stream does (v5.14.2+, cphalcon's
 * phalcon/Session/Adapter/Stream.zep), so tests can run "Phalcon" on a PHP
 * without the Phalcon extension:
 *
 *  - file:    <savePath>/<prefix><id>, savePath rtrim'med of '/' then '/' added
 *  - read:    if the file exists: fopen 'r', flock LOCK_SH, file_get_contents
 *             (a second descriptor), fclose; missing or failure reads as ''
 *  - write:   file_put_contents(file, data, LOCK_EX) (open O_WRONLY|O_CREAT,
 *             flock LOCK_EX, ftruncate 0, write)
 *  - destroy: unlink if it exists and is a regular file; always true
 *  - gc:      glob <savePath>/<prefix>*, unlink regular files with
 *             mtime < time() - maxlifetime; returns 1
 *  - updateTimestamp: touch() (which creates a missing file)
 *  - validateId:      file_exists()
 *
 * Usage:
 *   require 'compat/phalcon_stream_handler.php';
 *   session_set_save_handler(new PhalconStreamHandler('/path/to/sessions'), true);
 *   session_start();
 */
class PhalconStreamHandler implements SessionHandlerInterface, SessionUpdateTimestampHandlerInterface
{
    private string $path;
    private string $prefix;

    public function __construct(string $savePath, string $prefix = '')
    {
        if ($savePath === '') {
            throw new RuntimeException('The session save path cannot be empty');
        }
        if (!is_writable($savePath)) {
            throw new RuntimeException('The session save path [' . $savePath . '] is not writable');
        }
        $this->path = rtrim($savePath, DIRECTORY_SEPARATOR) . DIRECTORY_SEPARATOR;
        $this->prefix = $prefix;
    }

    private function name(string $id): string
    {
        return $this->path . $this->prefix . $id;
    }

    public function open(string $path, string $name): bool
    {
        return true;
    }

    public function close(): bool
    {
        return true;
    }

    public function read(string $id): string|false
    {
        $name = $this->name($id);
        $data = '';
        if (file_exists($name)) {
            $pointer = fopen($name, 'r');
            if ($pointer !== false) {
                if (flock($pointer, LOCK_SH)) {
                    $data = file_get_contents($name);
                }
                fclose($pointer);
            }
            if ($data === false) {
                return '';
            }
        }
        return $data;
    }

    public function write(string $id, string $data): bool
    {
        return file_put_contents($this->name($id), $data, LOCK_EX) !== false;
    }

    public function destroy(string $id): bool
    {
        $name = $this->name($id);
        if (file_exists($name) && is_file($name)) {
            unlink($name);
        }
        return true;
    }

    public function gc(int $max_lifetime): int|false
    {
        $limit = time() - $max_lifetime;
        $files = glob($this->path . $this->prefix . '*');
        if ($files === false) {
            throw new RuntimeException(error_get_last()['message'] ?? 'Unexpected gc error');
        }
        foreach ($files as $file) {
            if (is_file($file) && filemtime($file) < $limit) {
                unlink($file);
            }
        }
        return 1;
    }

    public function updateTimestamp(string $id, string $data): bool
    {
        return touch($this->name($id));
    }

    public function validateId(string $id): bool
    {
        return file_exists($this->name($id));
    }
}
