// Package archive stores raw messages under the SHA-256 of their bytes and
// keeps a catalog of where each message was found. It owns every durable byte
// of mailkeep and imports nothing else of the project.
//
// Layout of an archive directory (format version 1, see FORMAT):
//
//	<dir>/FORMAT                        "mailkeep-archive 1"
//	<dir>/objects/ab/cd/abcd…(64 hex)   one message: a zstd frame of the exact raw bytes;
//	                                    the name is the lowercase hex SHA-256 of those bytes
//	<dir>/objects/ab/cd/.tmp-*          an object being written (not yet durable); verify
//	                                    removes those an interrupted write left
//	<dir>/catalog.db                    SQLite (WAL): messages, locations, sync state, runs
//	<dir>/index/                        the search index; derived, rebuildable, never backed up
//	<dir>/tmp/                          temporary files of unfinished writes; removed at open
//	<dir>/lock                          flock'ed by the one process that writes; holds its pid
//
// Any message can be read back without mailkeep:
//
//	zstd -dc objects/ab/cd/abcd… > message.eml    # sha256sum message.eml prints abcd…
//
// Writes go through a Batch: messages are hashed and compressed into
// temporary files (small ones in memory, then written into their object
// directory; large ones streamed through tmp/), and Commit makes the whole batch durable
// with one round of syncs (data, then names), then records the catalog rows
// in one SQLite transaction, together with any sync state that the batch
// advances. Nothing is reported stored before it is durable, so a crash at any
// instant leaves each message either fully archived or absent (an object may
// be durable before its catalog row: verify adopts such objects).
package archive
