// A drop target that highlights while something is dragged over it.
export function dropZone(element: HTMLElement, onDrop: (data: DataTransfer) => void): void {
  element.addEventListener('dragover', (event) => {
    event.preventDefault();
    element.classList.add('over');
  });
  element.addEventListener('dragleave', () => element.classList.remove('over'));
  element.addEventListener('drop', (event) => {
    event.preventDefault();
    element.classList.remove('over');
    if (event.dataTransfer) onDrop(event.dataTransfer);
  });
}
