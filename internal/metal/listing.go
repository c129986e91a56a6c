package metal

import "slices"

// listItem is what a listing holds: a value with an id that copies itself
// deeply, so that no caller shares a slice with the listing.
type listItem[T any] interface {
	listID() string
	cloned() T
}

// listing is one API listing kept in the API's order and indexed by id:
// the body of the key and device snapshots. Its owner holds the lock.
type listing[T listItem[T]] struct {
	items []T
	index map[string]int // id → position in items
}

func newListing[T listItem[T]](items []T) listing[T] {
	l := listing[T]{items: items}
	l.reindex()
	return l
}

// get returns a copy of the item with id.
func (l *listing[T]) get(id string) (T, bool) {
	i, ok := l.index[id]
	if !ok {
		var zero T
		return zero, false
	}
	return l.items[i].cloned(), true
}

func (l *listing[T]) has(id string) bool { _, ok := l.index[id]; return ok }

// all returns a copy of every item, in order.
func (l *listing[T]) all() []T {
	out := make([]T, len(l.items))
	for i := range l.items {
		out[i] = l.items[i].cloned()
	}
	return out
}

// put adds v, or replaces the item with its id.
func (l *listing[T]) put(v T) {
	if i, ok := l.index[v.listID()]; ok {
		l.items[i] = v
		return
	}
	if l.index == nil {
		l.index = map[string]int{}
	}
	l.index[v.listID()] = len(l.items)
	l.items = append(l.items, v)
}

func (l *listing[T]) remove(id string) {
	i, ok := l.index[id]
	if !ok {
		return
	}
	l.items = slices.Delete(l.items, i, i+1)
	l.reindex()
}

func (l *listing[T]) reindex() {
	l.index = make(map[string]int, len(l.items))
	for i := range l.items {
		l.index[l.items[i].listID()] = i
	}
}
